// Non-INVITE server transactions: keys per §17.2.3, retransmissions, Timer J, bounded memory.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ServerTransactions,
  TIMER_J_MS,
  transactionKey,
} from "../../src/transaction/server_transactions.ts";
import type { Via } from "../../src/sip/via.ts";
import { registerRequest } from "../_support/sip_messages.ts";

function via(branch: string | null, host = "192.0.2.1", port: number | null = 5060): Via {
  return {
    protocol: "SIP/2.0",
    transport: "UDP",
    host,
    port,
    params: new Map(branch === null ? [] : [["branch", branch]]),
    branch,
    received: null,
    rport: null,
  };
}
const response = { bytes: new Uint8Array([1, 2, 3]), address: "192.0.2.1", port: 5060 };

describe("transactionKey()", () => {
  const request = registerRequest();

  it("uses branch, sent-by and method for RFC 3261 branches (§17.2.3)", () => {
    const a = transactionKey(request, via("z9hG4bKabc"));
    assert.equal(a, transactionKey(request, via("z9hG4bKabc")));
    assert.notEqual(a, transactionKey(request, via("z9hG4bKabd")));
    assert.notEqual(a, transactionKey(request, via("z9hG4bKabc", "192.0.2.2")));
    assert.notEqual(a, transactionKey(request, via("z9hG4bKabc", "192.0.2.1", 5062)));
    const options = registerRequest({ method: "OPTIONS" });
    assert.notEqual(a, transactionKey(options, via("z9hG4bKabc")));
  });

  it("falls back to the RFC 2543 fields without the magic cookie", () => {
    const old = transactionKey(request, via("1234"));
    assert.equal(old, transactionKey(request, via("1234")));
    assert.notEqual(old, transactionKey(registerRequest({ cseq: 2 }), via("1234")));
    const tagged = registerRequest({ to: "<sip:bob@office.test>;tag=t" });
    assert.notEqual(old, transactionKey(tagged, via("1234")));
  });
});

describe("ServerTransactions", () => {
  it("absorbs a retransmission while trying and repeats the answer once completed", () => {
    const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 10 });
    assert.equal(table.lookup("k", 0), null);
    table.begin("k", 0);
    assert.deepEqual(table.lookup("k", 10), { state: "trying" });
    table.complete("k", response, 20);
    assert.deepEqual(table.lookup("k", 30), { state: "completed", response });
  });

  it("forgets a completed transaction when Timer J (64*T1 = 32 s) fires", () => {
    assert.equal(TIMER_J_MS, 32_000);
    const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 10 });
    table.begin("k", 0);
    table.complete("k", response, 1000);
    assert.notEqual(table.lookup("k", 1000 + TIMER_J_MS - 1), null);
    assert.equal(table.lookup("k", 1000 + TIMER_J_MS), null);
  });

  it("sweeps expired transactions and keeps live ones", () => {
    const table = new ServerTransactions({ timerJMs: 100, maxTransactions: 10 });
    for (let i = 0; i < 5; i++) {
      table.begin(`k${i}`, i * 10);
      table.complete(`k${i}`, response, i * 10);
    }
    table.sweep(125);
    assert.equal(table.size, 2);
    assert.notEqual(table.lookup("k4", 125), null);
  });

  it("never holds more than maxTransactions, evicting the oldest", () => {
    const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 100 });
    for (let i = 0; i < 1000; i++) table.begin(`k${i}`, 0);
    assert.equal(table.size, 100);
    assert.equal(table.evicted, 900);
    assert.equal(table.lookup("k0", 0), null);
    assert.notEqual(table.lookup("k999", 0), null);
  });

  it("evicts by deadline: a completed transaction counts from its answer, not its arrival", () => {
    const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 2 });
    table.begin("a", 0);
    table.begin("b", 1);
    table.complete("a", response, 2); // a now expires after b
    table.begin("c", 3);
    assert.equal(table.lookup("b", 3), null);
    assert.notEqual(table.lookup("a", 3), null);
    assert.notEqual(table.lookup("c", 3), null);
  });

  it("keeps a steady load's table at rate x Timer J however long it runs", () => {
    const table = new ServerTransactions({ timerJMs: 1000, maxTransactions: 1_000_000 });
    for (let i = 0; i < 200_000; i++) { // 200 s at 1,000 transactions per second
      table.begin(`k${i}`, i);
      if (i % 10 !== 0) table.complete(`k${i}`, response, i); // every tenth never answered
      else table.abandon(`k${i - 10}`);
    }
    assert.ok(table.size <= 1001, `size ${table.size}`);
    assert.equal(table.evicted, 0);
    table.sweep(200_000 + 1000);
    assert.equal(table.size, 0);
  });

  it("terminates at once on a reliable transport (Timer J = 0) and clears on close()", () => {
    const table = new ServerTransactions({ timerJMs: 0, maxTransactions: 10 });
    table.begin("k", 0);
    table.complete("k", response, 0);
    assert.equal(table.lookup("k", 0), null);
    const other = new ServerTransactions({ timerJMs: 100, maxTransactions: 10 });
    other.begin("a", 0);
    other.close();
    assert.equal(other.size, 0);
  });
});

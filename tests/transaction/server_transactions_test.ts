// Non-INVITE server transactions: keys per §17.2.3, retransmissions, Timer J, bounded memory.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ServerTransactions,
  TIMER_J_MS,
  transactionKey,
} from "../../src/transaction/server_transactions.ts";
import type { Via } from "../../src/sip/via.ts";
import { prng } from "../_support/prng.ts";
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

  it("starts a transaction answered at once in completed, one record (answer())", () => {
    const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 10 });
    table.answer("k", response, 5);
    assert.equal(table.size, 1);
    assert.deepEqual(table.lookup("k", 6), { state: "completed", response });
    assert.equal(table.lookup("k", 5 + TIMER_J_MS), null);
    const reliable = new ServerTransactions({ timerJMs: 0, maxTransactions: 10 });
    reliable.begin("k", 0);
    reliable.answer("k", response, 0); // as begin() and complete(): nothing left
    assert.equal(reliable.size, 0);
    assert.equal(reliable.lookup("k", 0), null);
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

/** What the table must do, the plain way: a Map, and an order number renewed on completion. */
class ModelTable {
  readonly entries = new Map<
    string,
    { completed: boolean; deadlineMs: number; order: number; response: typeof response | null }
  >();
  evicted = 0;
  #order = 0;
  constructor(readonly timerJMs: number, readonly max: number) {}

  lookup(key: string, nowMs: number) {
    const e = this.entries.get(key);
    if (e === undefined) return null;
    if (e.deadlineMs <= nowMs) {
      this.entries.delete(key);
      return null;
    }
    return e.completed ? { state: "completed", response: e.response } : { state: "trying" };
  }
  begin(key: string, nowMs: number) {
    this.sweep(nowMs);
    while (this.entries.size >= this.max) {
      const oldest = [...this.entries].sort((a, b) => a[1].order - b[1].order)[0]!;
      this.entries.delete(oldest[0]);
      this.evicted++;
    }
    const entry = { completed: false, deadlineMs: nowMs + this.timerJMs, order: this.#order++ };
    this.entries.delete(key);
    this.entries.set(key, { ...entry, response: null });
  }
  complete(key: string, r: typeof response, nowMs: number) {
    const e = this.entries.get(key);
    if (e === undefined) return;
    Object.assign(e, { completed: true, deadlineMs: nowMs + this.timerJMs, order: this.#order++ });
    e.response = r;
  }
  answer(key: string, r: typeof response, nowMs: number) {
    this.begin(key, nowMs);
    this.complete(key, r, nowMs);
  }
  abandon(key: string) {
    this.entries.delete(key);
  }
  sweep(nowMs: number) {
    for (const [key, e] of this.entries) if (e.deadlineMs <= nowMs) this.entries.delete(key);
  }
}

describe("ServerTransactions (its ring and index)", () => {
  it("finds each of 50,000 live transactions by key and repeats its own answer", () => {
    const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 100_000 });
    const answerOf = (i: number) => ({
      bytes: new Uint8Array([i & 255, (i >> 8) & 255, i >> 16]),
      address: `192.0.2.${i % 250}`,
      port: 1024 + (i % 60_000),
    });
    const keyOf = (i: number) => `z9hG4bK-${i}\x00192.0.2.1:5060\x00REGISTER`;
    for (let i = 0; i < 50_000; i++) {
      table.begin(keyOf(i), i / 10);
      if (i % 3 !== 0) table.complete(keyOf(i), answerOf(i), i / 10);
    }
    assert.equal(table.size, 50_000);
    for (let i = 0; i < 50_000; i++) {
      const expected = i % 3 === 0
        ? { state: "trying" }
        : { state: "completed", response: answerOf(i) };
      assert.deepEqual(table.lookup(keyOf(i), 5000), expected, keyOf(i));
    }
    assert.equal(table.lookup(keyOf(50_000), 5000), null);
    table.sweep(5000 + TIMER_J_MS);
    assert.equal(table.size, 0);
    assert.equal(table.lookup(keyOf(1), 5000 + TIMER_J_MS), null);
  });

  it("tells apart keys of any length and any UTF-16 code units", () => {
    const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 100 });
    const keys = [
      "",
      "a",
      "ab",
      "b",
      "\u00e9",
      "e\u0301",
      "\u{1F600}",
      "\ud800",
      "x".repeat(70_000),
    ];
    keys.push("x".repeat(69_999) + "y");
    keys.forEach((key, i) => {
      table.begin(key, 0);
      table.complete(key, { ...response, port: i }, 0);
    });
    keys.forEach((key, i) => {
      assert.deepEqual(table.lookup(key, 1), {
        state: "completed",
        response: { ...response, port: i },
      });
    });
    assert.equal(table.lookup("x".repeat(69_999), 1), null);
    assert.equal(table.lookup("\u00e8", 1), null);
    table.abandon("");
    assert.equal(table.lookup("", 1), null);
    assert.equal(table.size, keys.length - 1);
  });

  it("repeats each answer byte for byte while its rings wrap around", () => {
    const table = new ServerTransactions({ timerJMs: 100, maxTransactions: 10_000 });
    const answerOf = (i: number) => ({
      bytes: Uint8Array.from({ length: 1500 + (i % 7) }, (_, k) => (i * 31 + k) & 255),
      address: i % 2 === 0 ? `2001:db8::${i.toString(16)}` : `198.51.100.${i % 256}`,
      port: 5060 + (i % 3),
    });
    for (let i = 0; i < 5000; i++) { // ≈ 100 live answers of 1.5 KB: 7.5 MB through the rings
      table.begin(`z9hG4bK.${i}`, i);
      table.complete(`z9hG4bK.${i}`, answerOf(i), i);
      for (const j of [i, i - 37, i - 99]) {
        if (j < 0) continue;
        const expected = { state: "completed", response: answerOf(j) };
        assert.deepEqual(table.lookup(`z9hG4bK.${j}`, i), expected, `${j} at ${i}`);
      }
    }
    assert.equal(table.lookup("z9hG4bK.4899", 5000), null);
  });

  it("keeps the live transactions when it shrinks after a burst", () => {
    const table = new ServerTransactions({ timerJMs: 1000, maxTransactions: 100_000 });
    for (let i = 0; i < 20_000; i++) {
      table.begin(`burst${i}`, 0);
      table.complete(`burst${i}`, { ...response, port: i }, i < 19_990 ? 0 : 500);
    }
    table.sweep(1000); // 10 of 20,000 left: the rings are rebuilt around them
    assert.equal(table.size, 10);
    for (let i = 19_990; i < 20_000; i++) {
      const expected = { state: "completed", response: { ...response, port: i } };
      assert.deepEqual(table.lookup(`burst${i}`, 1000), expected);
    }
    table.begin("after", 1000);
    assert.deepEqual(table.lookup("after", 1001), { state: "trying" });
    table.sweep(1500);
    assert.equal(table.size, 1);
  });

  it("agrees with a plain Map model over 60,000 seeded random operations", () => {
    const random = prng(0x7a11_2026);
    const table = new ServerTransactions({ timerJMs: 1000, maxTransactions: 64 });
    const model = new ModelTable(1000, 64);
    const keys = Array.from(
      { length: 300 },
      (_, i) => `z9hG4bK${i.toString(36)}\x00h:5060\x00REGISTER`,
    );
    let nowMs = 0;
    for (let step = 0; step < 60_000; step++) {
      nowMs += Math.floor(random() * 6);
      const key = keys[Math.floor(random() * keys.length)]!;
      const op = random();
      if (op < 0.35) {
        assert.deepEqual(table.lookup(key, nowMs), model.lookup(key, nowMs), `step ${step}`);
      } else if (op < 0.65) {
        table.begin(key, nowMs);
        model.begin(key, nowMs);
      } else if (op < 0.85) {
        const answer = { ...response, port: step % 65_536 };
        table.complete(key, answer, nowMs);
        model.complete(key, answer, nowMs);
      } else if (op < 0.9) {
        const answer = { ...response, port: step % 65_536 };
        table.answer(key, answer, nowMs);
        model.answer(key, answer, nowMs);
      } else if (op < 0.95) {
        table.abandon(key);
        model.abandon(key);
      } else {
        table.sweep(nowMs);
        model.sweep(nowMs);
      }
      assert.equal(table.size, model.entries.size, `size at step ${step}`);
    }
    assert.equal(table.evicted, model.evicted);
    assert.ok(table.evicted > 0, "the cap was reached");
  });
});

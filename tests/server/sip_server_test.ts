// SipServer: answers that need no write go out at once, challenges statelessly; a bug is a 500.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import type { LogLevel } from "../../src/log.ts";
import type { Registrar, RegistrarReply } from "../../src/registrar/registrar.ts";
import { SipServer } from "../../src/server/sip_server.ts";
import { ServerTransactions, TIMER_J_MS } from "../../src/transaction/server_transactions.ts";
import type { DatagramTransport } from "../../src/transport/udp_transport.ts";
import { newBranch, registerText } from "../_support/sip_messages.ts";

const REMOTE = { address: "127.0.0.1", port: 5099 };

/** A SipServer over a stand-in registrar whose `handleRegister` is `answer`. */
function setup(answer: () => RegistrarReply | Promise<RegistrarReply>, level: LogLevel = "info") {
  const sent: string[] = [];
  const logged: string[] = [];
  const transport: DatagramTransport = {
    protocol: "udp",
    local: { address: "127.0.0.1", port: 5060 },
    receiveBufferBytes: null,
    send: (data) => sent.push(new TextDecoder().decode(data)),
    close: () => Promise.resolve(),
  };
  const registrar = { handleRegister: answer } as unknown as Registrar;
  const transactions = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 100 });
  const server = new SipServer({
    registrar,
    transactions,
    clock: new FakeClock(),
    logger: createLogger((line) => logged.push(line), level),
    serverHeader: "registrar/test",
  });
  const receive = (text: string) =>
    server.handleDatagram(new TextEncoder().encode(text), REMOTE, transport);
  return { server, transactions, sent, logged, receive };
}

const CHALLENGE: RegistrarReply = { status: 401, reason: "Unauthorized", headers: [], aor: null };
const OK: RegistrarReply = { status: 200, reason: "OK", headers: [], aor: "sip:bob@office.test" };

describe("SipServer", () => {
  it("sends an answer that needs no write before handleDatagram returns", () => {
    const t = setup(() => CHALLENGE);
    t.receive(registerText());
    assert.equal(t.sent.length, 1);
    assert.match(t.sent[0]!, /^SIP\/2\.0 401 Unauthorized\r\n/);
    assert.equal(t.server.inFlight, 0);
  });

  it("sends a committed answer once its promise settles, and drain() waits for it", async () => {
    let settle: (reply: RegistrarReply) => void = () => {};
    const t = setup(() => new Promise((resolve) => (settle = resolve)));
    t.receive(registerText());
    assert.equal(t.sent.length, 0);
    assert.equal(t.server.inFlight, 1);
    const drained = t.server.drain();
    settle(OK);
    await drained;
    assert.equal(t.sent.length, 1);
    assert.match(t.sent[0]!, /^SIP\/2\.0 200 OK\r\n/);
  });

  it("leaves nothing in flight when sending a committed answer fails, even if logging fails", async () => {
    for (const logFails of [false, true]) {
      const logged: string[] = [];
      const server = new SipServer({
        registrar: { handleRegister: () => Promise.resolve(OK) } as unknown as Registrar,
        transactions: new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 100 }),
        clock: new FakeClock(),
        logger: createLogger((line) => {
          if (logFails) throw new Error("stderr closed");
          logged.push(line);
        }, "info"),
        serverHeader: "registrar/test",
      });
      const transport: DatagramTransport = {
        protocol: "udp",
        local: { address: "127.0.0.1", port: 5060 },
        receiveBufferBytes: null,
        send: () => {
          throw new Error("socket gone");
        },
        close: () => Promise.resolve(),
      };
      server.handleDatagram(new TextEncoder().encode(registerText()), REMOTE, transport);
      assert.equal(server.inFlight, 1);
      await server.drain();
      assert.equal(server.inFlight, 0);
      if (!logFails) assert.match(logged.join("\n"), /request handler failed.*socket gone/);
    }
  });

  it("logs each REGISTER's outcome at debug level only", async () => {
    const quiet = setup(() => CHALLENGE);
    quiet.receive(registerText());
    assert.deepEqual(quiet.logged, []);
    const chatty = setup(() => Promise.resolve(OK), "debug");
    chatty.receive(registerText());
    await chatty.server.drain();
    assert.equal(chatty.logged.length, 1);
    assert.match(
      chatty.logged[0]!,
      / debug REGISTER aor=sip:bob@office\.test status=200 source=127\.0\.0\.1:5099 /,
    );
  });

  it("answers 500 to a registrar that throws, and the same 500 to the retransmission", () => {
    const t = setup(() => {
      throw new TypeError("boom");
    });
    const text = registerText({ branch: newBranch() });
    t.receive(text);
    t.receive(text);
    assert.equal(t.sent.length, 2);
    assert.match(t.sent[0]!, /^SIP\/2\.0 500 Server Internal Error\r\n/);
    assert.equal(t.sent[1], t.sent[0]);
    assert.equal(t.logged.filter((l) => /request failed.*boom/.test(l)).length, 1);
  });

  it("keeps no transaction for a stateless challenge: its retransmission is answered anew", () => {
    let calls = 0;
    const t = setup(() => {
      calls++;
      return { ...CHALLENGE, stateless: true };
    });
    const text = registerText({ branch: newBranch() });
    t.receive(text);
    t.receive(text);
    assert.equal(calls, 2);
    assert.equal(t.sent.length, 2);
    assert.match(t.sent[1]!, /^SIP\/2\.0 401 Unauthorized\r\n/);
    assert.equal(t.server.counters.retransmissions, 0);
    assert.equal(t.transactions.size, 0);
  });

  it("answers the retransmission of an immediate stateful answer from its transaction", () => {
    let calls = 0;
    const t = setup(() => {
      calls++;
      return CHALLENGE;
    });
    const text = registerText({ branch: newBranch() });
    t.receive(text);
    t.receive(text);
    assert.equal(calls, 1);
    assert.equal(t.sent.length, 2);
    assert.equal(t.sent[1], t.sent[0]);
    assert.equal(t.server.counters.retransmissions, 1);
    assert.equal(t.transactions.size, 1);
  });

  it("answers 500 to a registrar whose promise rejects", async () => {
    const t = setup(() => Promise.reject(new RangeError("store exploded")));
    t.receive(registerText());
    await t.server.drain();
    assert.equal(t.sent.length, 1);
    assert.match(t.sent[0]!, /^SIP\/2\.0 500 Server Internal Error\r\n/);
    assert.ok(t.logged.some((l) => /request failed.*store exploded/.test(l)));
  });
});

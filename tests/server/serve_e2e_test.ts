// End to end over real UDP: the server on an ephemeral loopback port, a test phone beside it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { createLogger, silentLogger } from "../../src/log.ts";
import { DEFAULT_SERVE_CONFIG } from "../../src/server/serve_config.ts";
import type { ServeConfig } from "../../src/server/serve_config.ts";
import { startServer } from "../../src/server/start_server.ts";
import type { RunningServer } from "../../src/server/start_server.ts";
import type { NativeUdp } from "../../src/transport/native_udp_transport.ts";
import { UDP_RECEIVE_BUFFER_BYTES } from "../../src/transport/udp_transport.ts";
import { readResponse, UdpClient } from "../_support/udp_client.ts";
import { newBranch, registerText } from "../_support/sip_messages.ts";
import type { RegisterSpec } from "../_support/sip_messages.ts";

function config(dataDir: string, overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    ...DEFAULT_SERVE_CONFIG,
    dataDir,
    auth: "off",
    listen: [{ address: "127.0.0.1", port: 0 }],
    ...overrides,
  };
}

describe("registrar serve over UDP", () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 12, 0, 0));
  let dir: string;
  let server: RunningServer;
  let phone: UdpClient;
  let port: number;
  const register = (spec: RegisterSpec = {}) =>
    phone.request(
      registerText({ via: `SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${newBranch()}`, ...spec }),
      port,
    );
  const options = (extra: string[] = []) =>
    phone.request(
      [
        "OPTIONS sip:office.test SIP/2.0",
        `Via: SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${newBranch()}`,
        "From: <sip:probe@office.test>;tag=p",
        "To: <sip:office.test>",
        "Call-ID: probe",
        "CSeq: 1 OPTIONS",
        ...extra,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
      port,
    );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "registrar-e2e-"));
    server = await startServer(config(dir), { clock, logger: silentLogger });
    port = server.transports[0]!.local.port;
    phone = await UdpClient.open();
  });
  after(async () => {
    await phone.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers a phone: 200 with Contact expires, To tag, Via received/rport, Date", async () => {
    const res = await phone.request(
      registerText({
        user: "alice",
        via: `SIP/2.0/UDP 10.9.9.9:5060;branch=${newBranch()};rport`,
        expires: 600,
      }),
      port,
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.get("contact"), ["<sip:alice@192.0.2.10:5060>;expires=600"]);
    assert.match(res.headers.get("to")![0]!, /;tag=/);
    const via = res.headers.get("via")![0]!;
    assert.match(via, /received=127\.0\.0\.1/);
    assert.match(via, new RegExp(`rport=${phone.port}`));
    assert.ok(res.headers.has("date"));
    assert.match(res.headers.get("server")![0]!, /^registrar\//);
    assert.deepEqual(res.headers.get("content-length"), ["0"]);
    const stored = server.store.bindingsOf("sip:alice@office.test");
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.sourcePort, phone.port);
  });

  it("refreshes and unregisters", async () => {
    assert.equal((await register({ user: "carol", cseq: 1, expires: 300 })).status, 200);
    const refreshed = await register({ user: "carol", cseq: 2, expires: 300 });
    assert.deepEqual(refreshed.headers.get("contact"), ["<sip:carol@192.0.2.10:5060>;expires=300"]);
    const gone = await register({ user: "carol", cseq: 3, expires: 0 });
    assert.equal(gone.status, 200);
    assert.equal(gone.headers.get("contact"), undefined);
    assert.equal(server.store.bindingsOf("sip:carol@office.test").length, 0);
  });

  it("answers a retransmission with the same bytes and applies it once", async () => {
    const text = registerText({
      user: "dave",
      via: `SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${newBranch()}`,
      expires: 300,
    });
    phone.send(text, port);
    const first = await phone.next();
    await server.flushHistory();
    const events = server.store.events({ aor: "sip:dave@office.test" }).length;
    phone.send(text, port);
    const second = await phone.next();
    assert.equal(second, first);
    await server.flushHistory();
    assert.equal(server.store.events({ aor: "sip:dave@office.test" }).length, events);
    assert.equal(server.server.counters.retransmissions >= 1, true);
  });

  it("answers OPTIONS with Allow, unknown methods with 405, unknown Require with 420", async () => {
    const ok = await options();
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get("allow")![0]!, /REGISTER/);
    const bad = await options(["Require: frobnicate"]);
    assert.equal(bad.status, 420);
    assert.deepEqual(bad.headers.get("unsupported"), ["frobnicate"]);
    const sub = await register({ method: "SUBSCRIBE" });
    assert.equal(sub.status, 405);
    assert.match(sub.headers.get("allow")![0]!, /OPTIONS/);
  });

  it("answers 423 with Min-Expires and 400 for a bad wildcard", async () => {
    const brief = await register({ user: "erin", expires: 5 });
    assert.equal(brief.status, 423);
    assert.deepEqual(brief.headers.get("min-expires"), ["60"]);
    const wild = await register({ user: "erin", contacts: ["*"], expires: 60 });
    assert.equal(wild.status, 400);
  });

  it("survives bad input, answers 400 when it can, and keeps every binding", async () => {
    await register({ user: "frank", expires: 600 });
    const before = server.store.allBindings();
    const valid = registerText({ user: "frank" });
    const garbage: Array<[string, string | Uint8Array, number | null]> = [
      ["binary junk", new Uint8Array([0, 1, 2, 255, 254, 13, 10, 13, 10]), null],
      ["empty datagram", new Uint8Array(0), null],
      ["keep-alive", "\r\n\r\n", null],
      // A response must copy Call-ID (§8.2.6.2): without one, nothing can be answered.
      ["no Call-ID", valid.replace(/Call-ID: .*\r\n/, ""), null],
      ["no From", valid.replace(/From: .*\r\n/, ""), null],
      ["two Call-IDs", valid.replace("Call-ID:", "Call-ID: other\r\nCall-ID:"), 400],
      ["CSeq method mismatch", valid.replace("CSeq: 1 REGISTER", "CSeq: 1 INVITE"), 400],
      ["Content-Length too large", valid.replace("Content-Length: 0", "Content-Length: 500"), 400],
      ["bad version", valid.replace("SIP/2.0\r\n", "SIP/3.0\r\n"), 505],
      ["tel Request-URI", valid.replace("REGISTER sip:office.test", "REGISTER tel:+1555"), 416],
      ["huge message", valid.replace("Content-Length: 0", `X-Pad: ${"a".repeat(20_000)}`), null],
      ["bad Contact", valid.replace("<sip:frank@192.0.2.10:5060>", "<sip:frank@>;q=x"), 400],
      ["bad Expires", valid.replace("User-Agent", "Expires: never\r\nUser-Agent"), 400],
      ["a response", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n", null],
    ];
    for (const [name, data, status] of garbage) {
      phone.send(data, port);
      if (status === null) {
        assert.equal(await phone.silentFor(150), true, `${name}: expected no answer`);
      } else {
        const res = readResponse(
          await phone.next().catch((e) => {
            throw new Error(`${name}: ${e.message}`);
          }),
        );
        assert.equal(res.status, status, `${name}: ${res.reason}`);
        assert.ok(res.reason.length > 0);
      }
      const alive = await options();
      assert.equal(alive.status, 200, `${name}: server must still answer`);
    }
    assert.deepEqual(server.store.allBindings(), before);
  });

  it("drops expired bindings from answers at once and purges them with the sweeper", async () => {
    await register({ user: "gina", expires: 60, cseq: 1 });
    clock.advance(61_000);
    const query = await register({ user: "gina", contacts: [], cseq: 2 });
    assert.equal(query.headers.get("contact"), undefined);
    await server.sweep();
    assert.equal(server.store.bindingsOf("sip:gina@office.test").length, 0);
    await server.flushHistory();
    const kinds = server.store.events({ aor: "sip:gina@office.test" }).map((e) => e.kind);
    assert.deepEqual(kinds, ["registered", "expired"]);
  });
});

describe("registrar serve restart", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-restart-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("shows the same bindings with the right remaining time after a restart", async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 12, 0, 0));
    const phone = await UdpClient.open();
    try {
      let server = await startServer(config(dir), { clock, logger: silentLogger });
      let port = server.transports[0]!.local.port;
      for (const user of ["u1", "u2", "u3"]) {
        const res = await phone.request(registerText({ user, expires: 3600 }), port);
        assert.equal(res.status, 200);
      }
      await server.close();
      clock.advance(600_000);
      server = await startServer(config(dir), { clock, logger: silentLogger });
      port = server.transports[0]!.local.port;
      const query = await phone.request(registerText({ user: "u2", contacts: [], cseq: 2 }), port);
      assert.deepEqual(query.headers.get("contact"), ["<sip:u2@192.0.2.10:5060>;expires=3000"]);
      assert.equal(server.store.allBindings().length, 3);
      await server.close();
    } finally {
      await phone.close();
    }
  });
});

describe("registrar serve on IPv6", () => {
  it("registers over [::1] and answers to the IPv6 source", async () => {
    const dir = mkdtempSync(join(tmpdir(), "registrar-v6-"));
    const server = await startServer(config(dir, { listen: [{ address: "::1", port: 0 }] }), {
      clock: new FakeClock(),
      logger: silentLogger,
    });
    const phone = await UdpClient.open(6);
    try {
      const port = server.transports[0]!.local.port;
      const res = await phone.request(
        registerText({ via: `SIP/2.0/UDP [::1]:${phone.port};branch=${newBranch()};rport` }),
        port,
        "::1",
      );
      assert.equal(res.status, 200);
      assert.equal(server.store.allBindings()[0]!.sourceAddress, "::1");
    } finally {
      await phone.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("registrar serve: the UDP receive buffer", () => {
  /** A native socket that binds nothing, whose receive buffer the system grants `granted` of. */
  const nativeGranting = (granted: number | null): NativeUdp => ({
    open: (options) =>
      Promise.resolve({
        port: 5999,
        hostname: options.hostname,
        fd: 7,
        send: () => true,
        close: () => {},
      }),
    setReceiveBuffer: () => granted,
  });

  async function startLogged(native: NativeUdp): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), "registrar-rcvbuf-"));
    const lines: string[] = [];
    const logger = createLogger((line) => void lines.push(line), "info", () => 0);
    const server = await startServer(config(dir), {
      clock: new FakeClock(),
      logger,
      nativeUdp: native,
    });
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    return lines;
  }

  it("warns, with the sysctl to raise, when the system grants less than asked", async () => {
    const lines = await startLogged(nativeGranting(425_984)); // Linux's default cap, doubled
    const warning = lines.find((l) => l.includes("udp receive buffer capped"));
    assert.ok(warning, lines.join(""));
    assert.match(warning, / warn /);
    assert.match(warning, /granted=425984/);
    assert.match(warning, new RegExp(`asked=${UDP_RECEIVE_BUFFER_BYTES}`));
    assert.match(warning, new RegExp(`net\\.core\\.rmem_max=${UDP_RECEIVE_BUFFER_BYTES}`));
    assert.match(lines.find((l) => l.includes(" ready "))!, /rcvbuf=425984/);
  });

  it("says nothing when granted in full, and names an unknown size in the ready line", async () => {
    const full = await startLogged(nativeGranting(2 * UDP_RECEIVE_BUFFER_BYTES));
    assert.equal(full.filter((l) => l.includes("receive buffer")).length, 0, full.join(""));
    assert.match(
      full.find((l) => l.includes(" ready "))!,
      new RegExp(`rcvbuf=${2 * UDP_RECEIVE_BUFFER_BYTES}`),
    );
    const unknown = await startLogged(nativeGranting(null));
    assert.match(unknown.find((l) => l.includes(" ready "))!, /rcvbuf=default/);
  });
});

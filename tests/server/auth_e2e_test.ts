// Digest authentication and brute-force protection end to end, over real UDP.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentialsFor } from "../../src/auth/digest_authenticator.ts";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import { DEFAULT_SERVE_CONFIG } from "../../src/server/serve_config.ts";
import type { ServeConfig } from "../../src/server/serve_config.ts";
import { startServer } from "../../src/server/start_server.ts";
import type { RunningServer } from "../../src/server/start_server.ts";
import { openDataDirectory } from "../../src/store/open_database.ts";
import { SqliteUserStore } from "../../src/store/sqlite_user_store.ts";
import { removeBans } from "../../src/store/ban_store.ts";
import { authorization, challengesOf } from "../_support/digest_client.ts";
import type { Challenge } from "../_support/digest_client.ts";
import { UdpClient } from "../_support/udp_client.ts";
import type { ReceivedResponse } from "../_support/udp_client.ts";
import { waitFor } from "../_support/wait_for.ts";
import { newBranch, registerText } from "../_support/sip_messages.ts";
import type { RegisterSpec } from "../_support/sip_messages.ts";

const REALM = "office.test";
const URI = `sip:${REALM}`;

function addUsers(dir: string, users: Array<[string, string, boolean?]>): void {
  const { db } = openDataDirectory(dir);
  const store = new SqliteUserStore(db, { ownsDatabase: true });
  for (const [username, password, admin] of users) {
    store.add({
      username,
      realm: REALM,
      ...credentialsFor(username, REALM, password),
      admin: admin ?? false,
    }, 0);
  }
  store.close();
}

function config(dir: string, overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    ...DEFAULT_SERVE_CONFIG,
    dataDir: dir,
    auth: "required",
    domains: [REALM],
    listen: [{ address: "127.0.0.1", port: 0 }],
    banUserFailures: 3,
    banSourceUsernames: 4,
    ...overrides,
  };
}

describe("digest authentication over UDP", () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 12, 0, 0));
  let dir: string;
  let server: RunningServer;
  let phone: UdpClient;
  let port: number;
  let cseq = 1;
  const send = (spec: RegisterSpec & { authorization?: string }) =>
    phone.request(
      registerText({
        cseq: cseq++,
        via: `SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${newBranch()};rport`,
        ...spec,
        extra: [
          ...(spec.extra ?? []),
          ...(spec.authorization ? [`Authorization: ${spec.authorization}`] : []),
        ],
      }),
      port,
    );
  /** REGISTER, take the 401's challenge of `algorithm`, answer it. */
  async function registerWithAuth(
    user: string,
    password: string,
    algorithm: "MD5" | "SHA-256" = "SHA-256",
    spec: RegisterSpec = {},
  ): Promise<{ challenge: Challenge; response: ReceivedResponse }> {
    const first = await send({ user, ...spec });
    assert.equal(first.status, 401);
    const challenge = challengesOf(first).find((c) => c.algorithm === algorithm)!;
    const response = await send({
      user,
      ...spec,
      authorization: authorization(challenge, { username: user, password, uri: URI }),
    });
    return { challenge, response };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "registrar-auth-"));
    addUsers(dir, [["bob", "bobpw"], ["alice", "alicepw"], ["carol", "carolpw"], [
      "root",
      "rootpw",
      true,
    ]]);
    server = await startServer(config(dir), { clock, logger: silentLogger });
    port = server.transports[0]!.local.port;
    phone = await UdpClient.open();
  });
  after(async () => {
    await phone.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("challenges with SHA-256 then MD5, qop auth, realm, opaque and a nonce", async () => {
    const res = await send({ user: "bob" });
    assert.equal(res.status, 401);
    const challenges = challengesOf(res);
    assert.deepEqual(challenges.map((c) => c.algorithm), ["SHA-256", "MD5"]);
    for (const c of challenges) {
      assert.equal(c.realm, REALM);
      assert.equal(c.qop, "auth");
      assert.ok(c.opaque && c.nonce.length > 20);
      assert.equal(c.stale, false);
    }
    assert.equal(server.store.allBindings().length, 0, "nothing stored before authentication");
  });

  for (const algorithm of ["SHA-256", "MD5"] as const) {
    it(`registers with ${algorithm}`, async () => {
      const { response } = await registerWithAuth("bob", "bobpw", algorithm, { callId: algorithm });
      assert.equal(response.status, 200);
    });
  }

  it("accepts the RFC 2069 form (no qop) old phones send, once per nonce", async () => {
    const first = await send({ user: "bob" });
    const c = challengesOf(first).find((x) => x.algorithm === "MD5")!;
    const auth = authorization(c, { username: "bob", password: "bobpw", uri: URI, qop: false });
    assert.equal((await send({ user: "bob", authorization: auth })).status, 200);
    const again = await send({ user: "bob", authorization: auth });
    assert.equal(again.status, 401);
    assert.equal(challengesOf(again)[0]!.stale, true);
  });

  it("refuses a wrong password and stores nothing", async () => {
    const { response } = await registerWithAuth("carol", "wrong", "SHA-256", { callId: "carol" });
    assert.equal(response.status, 401);
    assert.equal(server.store.bindingsOf(`sip:carol@${REALM}`).length, 0);
    // The failure's event is written after the 401 goes out (it is history, not a binding).
    const kinds = () => server.store.events({ aor: `sip:carol@${REALM}` }).map((e) => e.kind);
    await waitFor(() => kinds().length > 0);
    assert.deepEqual(kinds(), ["auth-failed"]);
  });

  it("answers an unknown user exactly like a wrong password", async () => {
    const shape = (r: ReceivedResponse) => ({
      status: r.status,
      reason: r.reason,
      headers: [...r.headers.keys()].sort(),
      challenges: challengesOf(r).map((c) => ({ ...c, nonce: c.nonce.length })),
    });
    const wrong = await registerWithAuth("alice", "nope", "SHA-256", { callId: "w" });
    const unknown = await registerWithAuth("mallory", "nope", "SHA-256", { callId: "u" });
    assert.deepEqual(shape(unknown.response), shape(wrong.response));
    assert.equal(server.store.events({ aor: `sip:mallory@${REALM}` }).length, 0);
  });

  it("gives stale=true for a correct answer to an old nonce, and the retry succeeds", async () => {
    const first = await send({ user: "alice", callId: "stale" });
    const old = challengesOf(first)[0]!;
    clock.advance(301_000);
    const late = await send({
      user: "alice",
      callId: "stale",
      authorization: authorization(old, { username: "alice", password: "alicepw", uri: URI }),
    });
    assert.equal(late.status, 401);
    const fresh = challengesOf(late)[0]!;
    assert.equal(fresh.stale, true);
    const retry = await send({
      user: "alice",
      callId: "stale",
      authorization: authorization(fresh, { username: "alice", password: "alicepw", uri: URI }),
    });
    assert.equal(retry.status, 200);
  });

  it("refuses a replayed nonce-count, accepts the next one", async () => {
    const first = await send({ user: "bob", callId: "nc" });
    const c = challengesOf(first)[0]!;
    const auth1 = authorization(c, { username: "bob", password: "bobpw", uri: URI, nc: 1 });
    assert.equal((await send({ user: "bob", callId: "nc", authorization: auth1 })).status, 200);
    const replay = await send({ user: "bob", callId: "nc", authorization: auth1 });
    assert.equal(replay.status, 401);
    const auth2 = authorization(c, { username: "bob", password: "bobpw", uri: URI, nc: 2 });
    assert.equal((await send({ user: "bob", callId: "nc", authorization: auth2 })).status, 200);
  });

  it("answers 400 when the digest uri is not the Request-URI", async () => {
    const first = await send({ user: "bob" });
    const c = challengesOf(first)[0]!;
    const auth = authorization(c, {
      username: "bob",
      password: "bobpw",
      uri: "sip:elsewhere.test",
    });
    assert.equal((await send({ user: "bob", authorization: auth })).status, 400);
  });

  it("lets bob register only his own AoR; an admin may register others", async () => {
    const first = await send({ user: "alice" });
    const c = challengesOf(first)[0]!;
    const asBob = authorization(c, { username: "bob", password: "bobpw", uri: URI });
    assert.equal((await send({ user: "alice", authorization: asBob })).status, 403);
    const c2 = challengesOf(await send({ user: "alice" }))[0]!;
    const asRoot = authorization(c2, { username: "root", password: "rootpw", uri: URI });
    assert.equal(
      (await send({ user: "alice", callId: "root", authorization: asRoot })).status,
      200,
    );
  });

  it("demands authentication for de-registration and Contact: *", async () => {
    await registerWithAuth("bob", "bobpw", "SHA-256", { callId: "keep" });
    const before = server.store.bindingsOf(`sip:bob@${REALM}`).length;
    assert.ok(before > 0);
    assert.equal((await send({ user: "bob", expires: 0, callId: "keep" })).status, 401);
    assert.equal(
      (await send({ user: "bob", contacts: ["*"], expires: 0, callId: "x" })).status,
      401,
    );
    assert.equal(server.store.bindingsOf(`sip:bob@${REALM}`).length, before);
  });
});

describe("brute-force bans over UDP", () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 12, 0, 0));
  let dir: string;
  let server: RunningServer;
  let phone: UdpClient;
  let port: number;
  let cseq = 1;
  const attempt = async (user: string, password: string) => {
    const text = (auth?: string) =>
      registerText({
        user,
        cseq: cseq++,
        via: `SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${newBranch()}`,
        extra: auth ? [`Authorization: ${auth}`] : [],
      });
    phone.send(text(), port);
    const first = await phone.next(500).catch(() => null);
    if (first === null) return null; // dropped unheard
    const { readResponse } = await import("../_support/udp_client.ts");
    const c = challengesOf(readResponse(first))[0]!;
    phone.send(text(authorization(c, { username: user, password, uri: URI })), port);
    const second = await phone.next(500).catch(() => null);
    return second === null ? null : readResponse(second).status;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "registrar-ban-"));
    addUsers(dir, [["bob", "bobpw"], ["dave", "davepw"]]);
    server = await startServer(config(dir), { clock, logger: silentLogger });
    port = server.transports[0]!.local.port;
    phone = await UdpClient.open();
  });
  after(async () => {
    await phone.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("bans a username from an address after repeated failures, not its neighbours", async () => {
    assert.equal(await attempt("dave", "bad1"), 401);
    assert.equal(await attempt("dave", "bad2"), 401);
    assert.equal(await attempt("dave", "bad3"), 403, "the failure that bans gets 403");
    assert.equal(await attempt("dave", "davepw"), null, "banned: no answer, even when right");
    assert.equal(await attempt("bob", "bobpw"), 200, "another phone behind the same address");
  });

  it("keeps bans across a restart and lifts them with unban", async () => {
    await server.close();
    server = await startServer(config(dir), { clock, logger: silentLogger });
    port = server.transports[0]!.local.port;
    assert.equal(await attempt("dave", "davepw"), null);
    const { db } = openDataDirectory(dir);
    assert.equal(removeBans(db, "127.0.0.1"), 1);
    db.close();
    await server.sweep();
    assert.equal(await attempt("dave", "davepw"), 200);
  });

  it("bans the whole address when many usernames fail (enumeration)", async () => {
    const statuses = [];
    for (const user of ["u1", "u2", "u3", "u4"]) statuses.push(await attempt(user, "x"));
    assert.deepEqual(statuses, [401, 401, 401, 403]);
    assert.equal(await attempt("bob", "bobpw"), null);
  });
});

describe("--rate-limit", () => {
  it("cuts off a flood from one address without starving another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "registrar-rate-"));
    const flooder = await UdpClient.open();
    const neighbour = await UdpClient.open(4, "127.0.0.2");
    const server = await startServer(config(dir, { rateLimitPerSecond: 5 }), {
      clock: new FakeClock(),
      logger: silentLogger,
    });
    try {
      const port = server.transports[0]!.local.port;
      for (let i = 0; i < 50; i++) flooder.send(registerText({ cseq: i + 1 }), port);
      let answered = 0;
      while (await flooder.next(300).then(() => true, () => false)) answered++;
      assert.equal(answered, 10, "a burst of 2 x 5, then nothing (the clock stands still)");
      const res = await neighbour.request(registerText({ user: "alice" }), port);
      assert.equal(res.status, 401, "another address is still challenged");
    } finally {
      await flooder.close();
      await neighbour.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("--digest-algorithms", () => {
  it("offers the challenges in the configured order (MD5 first for old phones like sipsak)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "registrar-alg-"));
    const phone = await UdpClient.open();
    const server = await startServer(config(dir, { digestAlgorithms: ["MD5", "SHA-256"] }), {
      clock: new FakeClock(),
      logger: silentLogger,
    });
    try {
      const res = await phone.request(registerText(), server.transports[0]!.local.port);
      assert.deepEqual(challengesOf(res).map((c) => c.algorithm), ["MD5", "SHA-256"]);
    } finally {
      await phone.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("--allow", () => {
  it("answers only sources inside the allowed networks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "registrar-allow-"));
    const phone = await UdpClient.open();
    let server = await startServer(config(dir, { auth: "off", allow: ["10.0.0.0/8"] }), {
      clock: new FakeClock(),
      logger: silentLogger,
    });
    try {
      phone.send(registerText(), server.transports[0]!.local.port);
      assert.equal(await phone.silentFor(300), true);
      await server.close();
      server = await startServer(
        config(dir, { auth: "off", allow: ["10.0.0.0/8", "127.0.0.0/8"] }),
        {
          clock: new FakeClock(),
          logger: silentLogger,
        },
      );
      const res = await phone.request(registerText(), server.transports[0]!.local.port);
      assert.equal(res.status, 200);
    } finally {
      await phone.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

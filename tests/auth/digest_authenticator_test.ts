// DigestAuthenticator in-process: decisions, and the one log line per failure fail2ban reads.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BanTracker, DEFAULT_BAN_POLICY } from "../../src/auth/ban_tracker.ts";
import { credentialsFor, DigestAuthenticator } from "../../src/auth/digest_authenticator.ts";
import type { AuthFailure } from "../../src/auth/digest_authenticator.ts";
import { NonceCounts } from "../../src/auth/nonce_counts.ts";
import { NonceService } from "../../src/auth/nonce.ts";
import type { UserCredentials, UserDirectory } from "../../src/auth/user_directory.ts";
import { createLogger } from "../../src/log.ts";
import { authorization } from "../_support/digest_client.ts";
import { registerRequest } from "../_support/sip_messages.ts";

const REALM = "office.test";
const source = { address: "203.0.113.9", port: 5062, transport: "udp" };

class Users implements UserDirectory {
  readonly #users = new Map<string, UserCredentials>();
  add(username: string, password: string): void {
    this.#users.set(username, {
      username,
      realm: REALM,
      ...credentialsFor(username, REALM, password),
      admin: false,
    });
  }
  findUser(username: string, realm: string): UserCredentials | null {
    return realm === REALM ? this.#users.get(username) ?? null : null;
  }
  countUsers(): number {
    return this.#users.size;
  }
}

function setup() {
  const users = new Users();
  users.add("bob", "bobpw");
  const lines: string[] = [];
  const failures: AuthFailure[] = [];
  const auth = new DigestAuthenticator({
    users,
    nonces: new NonceService(new Uint8Array(32).fill(1), 300_000),
    nonceCounts: new NonceCounts(1000, 300_000),
    bans: new BanTracker({ ...DEFAULT_BAN_POLICY, userFailures: 2 }),
    logger: createLogger((l) => void lines.push(l), "info", () => 0),
    onFailure: (f) => void failures.push(f),
  });
  const answer = (user: string, password: string) => {
    const challenge = auth.challenge(REALM, 0, false)[0]![1];
    const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
    const opaque = /opaque="([^"]+)"/.exec(challenge)![1]!;
    const header = authorization(
      { realm: REALM, nonce, opaque, algorithm: "SHA-256", stale: false, qop: "auth" },
      { username: user, password, uri: `sip:${REALM}` },
    );
    return auth.authenticate(
      registerRequest({ user, extra: [`Authorization: ${header}`] }),
      REALM,
      source,
      0,
    );
  };
  return { auth, lines, failures, answer };
}

describe("DigestAuthenticator", () => {
  it("accepts the right password and names the user", () => {
    const { answer } = setup();
    assert.deepEqual(answer("bob", "bobpw"), {
      ok: true,
      user: { username: "bob", realm: REALM, admin: false },
    });
  });

  it("logs one stable line per failure, for fail2ban", () => {
    const { answer, lines } = setup();
    answer("bob", "nope");
    answer("mallory", "nope");
    assert.deepEqual(lines, [
      "1970-01-01T00:00:00.000Z warn auth failed source=203.0.113.9 port=5062 user=bob " +
      "realm=office.test reason=wrong-password\n",
      "1970-01-01T00:00:00.000Z warn auth failed source=203.0.113.9 port=5062 user=mallory " +
      "realm=office.test reason=unknown-user\n",
    ]);
  });

  it("logs the ban and answers 403 on the failure that triggers it", () => {
    const { answer, lines, failures } = setup();
    assert.equal(answer("bob", "x").ok, false);
    const second = answer("bob", "y");
    assert.deepEqual(second, { ok: false, code: "authFailedTooOften", headers: [] });
    assert.match(lines.at(-1)!, / warn banned source=203\.0\.113\.9 user=bob until=\S+ reason=/);
    assert.equal(failures.at(-1)?.ban?.username, "bob");
  });

  it("challenges statelessly only a request without credentials for the realm (§8.2.7)", () => {
    const { auth, answer } = setup();
    const bare = auth.authenticate(registerRequest({ user: "bob" }), REALM, source, 0);
    const otherRealm = auth.authenticate(
      registerRequest({
        user: "bob",
        extra: [
          'Authorization: Digest username="bob", realm="elsewhere.test", nonce="n", ' +
          'uri="sip:elsewhere.test", response="0123456789abcdef0123456789abcdef"',
        ],
      }),
      REALM,
      source,
      0,
    );
    const wrong = answer("bob", "nope");
    for (const decision of [bare, otherRealm, wrong]) {
      assert.equal(decision.ok, false);
      if (!decision.ok) assert.equal(decision.code, "unauthorized");
    }
    assert.equal(!bare.ok && bare.stateless, true);
    assert.equal(!otherRealm.ok && otherRealm.stateless, true);
    // A wrong password keeps its transaction: its retransmission is not another failure.
    assert.equal(!wrong.ok && wrong.stateless, false);
  });

  it("answers an unknown user and a wrong password with the same outcome", () => {
    const { answer } = setup();
    const wrong = answer("bob", "nope");
    const unknown = answer("nobody", "nope");
    assert.equal(wrong.ok, false);
    assert.equal(unknown.ok, false);
    if (wrong.ok || unknown.ok) return;
    assert.equal(unknown.code, wrong.code);
    assert.deepEqual(unknown.headers.map(([n]) => n), wrong.headers.map(([n]) => n));
  });
});

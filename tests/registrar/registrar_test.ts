// Registrar: RFC 3261 §10.3 step by step, over an in-memory store and a fake clock.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { OUTCOMES } from "../../src/registrar/outcomes.ts";
import type { OutcomeCode } from "../../src/registrar/outcomes.ts";
import { DEFAULT_REGISTRAR_OPTIONS, httpDate, Registrar } from "../../src/registrar/registrar.ts";
import type {
  AuthDecision,
  RegisterAuthenticator,
  RegistrarOptions,
  RegistrarReply,
} from "../../src/registrar/registrar.ts";
import type { SipEndpoint } from "../../src/sip/message.ts";
import { MemoryBindingStore } from "../_support/memory_binding_store.ts";
import { registerRequest } from "../_support/sip_messages.ts";
import type { RegisterSpec } from "../_support/sip_messages.ts";

const SOURCE: SipEndpoint = { address: "198.51.100.7", port: 40000, transport: "udp" };

/** An authenticator that answers whatever the test sets, and records the realm it was asked. */
class FakeAuthenticator implements RegisterAuthenticator {
  decision: AuthDecision = {
    ok: true,
    user: { username: "bob", realm: "office.test", admin: false },
  };
  realms: string[] = [];
  authenticate(_request: unknown, realm: string): AuthDecision {
    this.realms.push(realm);
    return this.decision;
  }
}

function setup(options: Partial<RegistrarOptions> = {}, auth: FakeAuthenticator | null = null) {
  const store = new MemoryBindingStore();
  const clock = new FakeClock();
  const registrar = new Registrar(store, { ...DEFAULT_REGISTRAR_OPTIONS, ...options }, auth);
  const register = (spec: RegisterSpec = {}, source = SOURCE) =>
    registrar.handleRegister(registerRequest(spec), source, clock.nowMs());
  return { store, clock, registrar, register, auth };
}

function contacts(reply: RegistrarReply): string[] {
  return reply.headers.filter(([n]) => n === "Contact").map(([, v]) => v);
}

function header(reply: RegistrarReply, name: string): string | undefined {
  return reply.headers.find(([n]) => n === name)?.[1];
}

describe("Registrar.handleRegister()", () => {
  it("answers what needs no write at once, and a change once it is committed", async () => {
    const { register, store } = setup({ domains: ["office.test"] });
    const rejected = register({ requestUri: "sip:other.test" });
    assert.ok(!(rejected instanceof Promise), "a rejection is not a promise");
    assert.equal(rejected.status, 404);
    const pending = register({ expires: 600 });
    assert.ok(pending instanceof Promise, "a change waits for its commit");
    assert.equal((await pending).status, 200);
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 1);
  });

  it("adds a binding and lists it with the granted expires and a Date header", async () => {
    const { register, store } = setup();
    const reply = await register({ expires: 600 });
    assert.equal(reply.status, 200);
    assert.equal(reply.aor, "sip:bob@office.test");
    assert.deepEqual(contacts(reply), ["<sip:bob@192.0.2.10:5060>;expires=600"]);
    assert.match(header(reply, "Date") ?? "", /GMT$/);
    const [b] = store.bindingsOf("sip:bob@office.test");
    assert.equal(b?.sourceAddress, "198.51.100.7");
    assert.equal(b?.sourcePort, 40000);
    assert.equal(b?.userAgent, "test-phone/1.0");
    assert.equal(b?.expiresSeconds, 600);
  });

  it("takes the AoR from the To URI, host case-insensitive, parameters dropped", async () => {
    const { register, store } = setup();
    await register({ to: '"Bob" <sip:bob@OFFICE.test;transport=udp>' });
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 1);
  });

  it("echoes each Contact exactly as sent, only its expires set to the granted value", async () => {
    const { register } = setup();
    const reply = await register({
      contacts: ['"Desk" <sip:bob@192.0.2.10:5060;transport=udp>;expires=99999;q=0.7'],
    });
    assert.deepEqual(contacts(reply), [
      '"Desk" <sip:bob@192.0.2.10:5060;transport=udp>;q=0.7;expires=7200',
    ]);
  });

  it("keeps several devices of one AoR as separate bindings", async () => {
    const { register, store } = setup();
    await register({ contacts: ["<sip:bob@192.0.2.10>"], callId: "desk" });
    const reply = await register({ contacts: ["<sip:bob@192.0.2.20>"], callId: "soft" });
    assert.equal(contacts(reply).length, 2);
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 2);
  });

  it("accepts several contacts in one REGISTER with their q values", async () => {
    const { register, store } = setup();
    const reply = await register({
      contacts: ["<sip:bob@192.0.2.10>;q=1.0, <sip:bob@192.0.2.11>;q=0.5"],
    });
    assert.equal(reply.status, 200);
    const qs = store.bindingsOf("sip:bob@office.test").map((b) => b.q).sort();
    assert.deepEqual(qs, [0.5, 1]);
  });

  it("refreshes a binding: same id, registeredAt kept, new expiry, never shaved", async () => {
    const { register, store, clock } = setup();
    await register({ expires: 3600, cseq: 1 });
    const first = store.bindingsOf("sip:bob@office.test")[0]!;
    clock.advance(1800_400);
    const reply = await register({ expires: 3600, cseq: 2 });
    assert.deepEqual(contacts(reply), ["<sip:bob@192.0.2.10:5060>;expires=3600"]);
    const again = store.bindingsOf("sip:bob@office.test")[0]!;
    assert.equal(again.id, first.id);
    assert.equal(again.registeredAtMs, first.registeredAtMs);
    assert.equal(again.expiresAtMs, clock.nowMs() + 3600_000);
    assert.deepEqual(store.log.map((e) => e.kind), ["registered", "refreshed"]);
  });

  it("marks only a plain refresh deferrable (a crash may shorten it, never drop it)", async () => {
    const { register, store, clock } = setup();
    await register({ cseq: 1, expires: 600 }); // new binding
    clock.advance(1000);
    await register({ cseq: 2, expires: 600 }); // plain refresh
    await register({ cseq: 3, expires: 900 }); // a longer interval is still only the expiry
    await register({ cseq: 4, expires: 900 }, { ...SOURCE, port: 40001 }); // NAT port moved
    await register({ cseq: 5, contacts: [] }); // query
    await register({ cseq: 6, expires: 0 }); // removal
    assert.deepEqual(store.deferrable, [false, true, true, false, false, false]);
  });

  it("reports another binding's remaining time rounded up", async () => {
    const { register, clock } = setup();
    await register({ contacts: ["<sip:bob@192.0.2.10>"], expires: 600, callId: "a" });
    clock.advance(100_500);
    const reply = await register({ contacts: ["<sip:bob@192.0.2.20>"], expires: 600, callId: "b" });
    assert.deepEqual(contacts(reply).sort(), [
      "<sip:bob@192.0.2.10>;expires=500",
      "<sip:bob@192.0.2.20>;expires=600",
    ]);
  });

  it("matches a refresh by URI comparison (§19.1.4), not by text", async () => {
    const { register, store } = setup();
    await register({ contacts: ["<sip:bob@HOST.example:5060>"], cseq: 1 });
    await register({ contacts: ["<sip:bob@host.example:5060>"], cseq: 2 });
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 1);
  });

  it("removes a binding with Expires: 0 and with ;expires=0", async () => {
    const { register, store } = setup();
    await register({ contacts: ["<sip:bob@192.0.2.10>", "<sip:bob@192.0.2.11>"], cseq: 1 });
    let reply = await register({ contacts: ["<sip:bob@192.0.2.10>"], expires: 0, cseq: 2 });
    assert.deepEqual(contacts(reply), [
      contacts(reply)[0]!,
    ]);
    assert.match(contacts(reply)[0]!, /192\.0\.2\.11/);
    reply = await register({ contacts: ["<sip:bob@192.0.2.11>;expires=0"], cseq: 3 });
    assert.equal(reply.status, 200);
    assert.deepEqual(contacts(reply), []);
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 0);
  });

  it("answers a query (no Contact) with the current bindings and changes nothing", async () => {
    const { register, store } = setup();
    await register({ cseq: 1, expires: 600 });
    const before = store.bindingsOf("sip:bob@office.test");
    const reply = await register({ contacts: [], cseq: 2 });
    assert.equal(reply.status, 200);
    assert.deepEqual(contacts(reply), ["<sip:bob@192.0.2.10:5060>;expires=600"]);
    assert.deepEqual(store.bindingsOf("sip:bob@office.test"), before);
  });

  it("removes every binding with Contact: * and Expires: 0", async () => {
    const { register, store } = setup();
    await register({ contacts: ["<sip:bob@192.0.2.10>"], callId: "a" });
    await register({ contacts: ["<sip:bob@192.0.2.20>"], callId: "b" });
    const reply = await register({ contacts: ["*"], expires: 0, callId: "c" });
    assert.equal(reply.status, 200);
    assert.deepEqual(contacts(reply), []);
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 0);
  });

  it("rejects Contact: * without Expires: 0, or with other contacts (§10.3 step 6)", async () => {
    const { register, store } = setup();
    await register();
    for (
      const [spec, code] of [
        [{ contacts: ["*"], expires: 3600, cseq: 5 }, "wildcardNeedsExpiresZero"],
        [{ contacts: ["*"], cseq: 6 }, "wildcardNeedsExpiresZero"],
        [{ contacts: ["*", "<sip:bob@192.0.2.99>"], expires: 0, cseq: 7 }, "wildcardNotAlone"],
      ] as Array<[RegisterSpec, OutcomeCode]>
    ) {
      const reply = await register(spec);
      assert.equal(reply.status, 400);
      assert.equal(reply.reason, OUTCOMES[code].reason);
    }
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 1);
  });

  it("negotiates expiry: contact param, else Expires header, else the default", async () => {
    const { register, store } = setup({ defaultExpiresSeconds: 1234 });
    await register({ contacts: ["<sip:a@192.0.2.1>;expires=300"], expires: 900, callId: "1" });
    await register({ contacts: ["<sip:b@192.0.2.2>"], expires: 900, callId: "2" });
    await register({ contacts: ["<sip:c@192.0.2.3>"], callId: "3" });
    const byUri = new Map(
      store.bindingsOf("sip:bob@office.test").map((b) => [b.contactUri, b.expiresSeconds]),
    );
    assert.deepEqual(Object.fromEntries(byUri), {
      "sip:a@192.0.2.1": 300,
      "sip:b@192.0.2.2": 900,
      "sip:c@192.0.2.3": 1234,
    });
  });

  it("answers 423 with Min-Expires below the minimum and stores nothing", async () => {
    const { register, store } = setup({ minExpiresSeconds: 120 });
    const reply = await register({ expires: 30 });
    assert.equal(reply.status, 423);
    assert.equal(header(reply, "Min-Expires"), "120");
    assert.equal(store.bindings.length, 0);
  });

  it("caps a too long interval at --max-expires", async () => {
    const { register } = setup({ maxExpiresSeconds: 3600 });
    const reply = await register({ expires: 86400 });
    assert.deepEqual(contacts(reply), ["<sip:bob@192.0.2.10:5060>;expires=3600"]);
  });

  it("refuses a same-Call-ID request whose CSeq is not higher (§10.3 step 7)", async () => {
    const { register, store } = setup();
    await register({ cseq: 5, expires: 600 });
    for (const cseq of [5, 4]) {
      const reply = await register({ cseq, expires: 0 });
      assert.equal(reply.status, OUTCOMES.staleCSeq.status);
      assert.equal(reply.reason, OUTCOMES.staleCSeq.reason);
    }
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 1);
  });

  it("updates a binding from a new Call-ID whatever its CSeq (a rebooted phone)", async () => {
    const { register, store } = setup();
    await register({ cseq: 50, callId: "before-reboot" });
    const reply = await register({ cseq: 1, callId: "after-reboot", expires: 900 });
    assert.equal(reply.status, 200);
    assert.equal(store.bindingsOf("sip:bob@office.test")[0]?.callId, "after-reboot");
  });

  it("applies none of a REGISTER's contacts when one of them fails", async () => {
    const { register, store } = setup();
    await register({ contacts: ["<sip:bob@192.0.2.10>"], cseq: 10, callId: "x" });
    const reply = await register({
      contacts: ["<sip:bob@192.0.2.50>", "<sip:bob@192.0.2.10>"],
      cseq: 9,
      callId: "x",
    });
    assert.equal(reply.status, 400);
    assert.deepEqual(store.bindingsOf("sip:bob@office.test").map((b) => b.contactUri), [
      "sip:bob@192.0.2.10",
    ]);
  });

  it("treats an expired, not yet purged binding as gone", async () => {
    const { register, store, clock } = setup();
    await register({ cseq: 5, expires: 60 });
    clock.advance(61_000);
    const query = await register({ contacts: [], cseq: 6 });
    assert.deepEqual(contacts(query), []);
    const reply = await register({ cseq: 2, expires: 60 });
    assert.equal(reply.status, 200);
    assert.deepEqual(store.log.map((e) => e.kind), ["registered", "registered"]);
  });

  it("replaces the binding of the same device (+sip.instance, reg-id)", async () => {
    const { register, store } = setup();
    const inst = '+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1';
    await register({ contacts: [`<sip:bob@192.0.2.10>;${inst}`], callId: "a" });
    await register({ contacts: [`<sip:bob@203.0.113.4>;${inst}`], callId: "b" });
    const bound = store.bindingsOf("sip:bob@office.test");
    assert.deepEqual(bound.map((b) => b.contactUri), ["sip:bob@203.0.113.4"]);
    assert.ok(store.log.some((e) => e.kind === "replaced"));
  });

  it("evicts the same Call-ID first, then the oldest binding, over --max-contacts", async () => {
    const { register, store, clock } = setup({ maxContacts: 2 });
    await register({ contacts: ["<sip:bob@192.0.2.1>"], callId: "one" });
    clock.advance(1000);
    await register({ contacts: ["<sip:bob@192.0.2.2>"], callId: "two" });
    clock.advance(1000);
    // The "two" phone moved: its old address goes, not the older "one" binding.
    await register({ contacts: ["<sip:bob@192.0.2.3>"], callId: "two", cseq: 2 });
    assert.deepEqual(
      store.bindingsOf("sip:bob@office.test").map((b) => b.contactUri).sort(),
      ["sip:bob@192.0.2.1", "sip:bob@192.0.2.3"],
    );
    clock.advance(1000);
    await register({ contacts: ["<sip:bob@192.0.2.4>"], callId: "four" });
    assert.deepEqual(
      store.bindingsOf("sip:bob@office.test").map((b) => b.contactUri).sort(),
      ["sip:bob@192.0.2.3", "sip:bob@192.0.2.4"],
    );
    assert.deepEqual(store.log.filter((e) => e.kind !== "registered").map((e) => e.kind), [
      "replaced",
      "evicted",
    ]);
  });

  it("answers 503 with Retry-After under --max-contacts-policy reject", async () => {
    const { register, store } = setup({ maxContacts: 1, maxContactsPolicy: "reject" });
    await register({ contacts: ["<sip:bob@192.0.2.1>"], callId: "one" });
    const reply = await register({ contacts: ["<sip:bob@192.0.2.2>"], callId: "two" });
    assert.equal(reply.status, 503);
    assert.equal(header(reply, "Retry-After"), "60");
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 1);
    // A refresh of the bound phone is still fine at the limit.
    assert.equal(
      (await register({ contacts: ["<sip:bob@192.0.2.1>"], callId: "one", cseq: 2 }))
        .status,
      200,
    );
  });

  it("answers 404 for a domain not served and 420 for an unknown Require", async () => {
    const { register } = setup({ domains: ["office.test"] });
    assert.equal((await register({ requestUri: "sip:elsewhere.test" })).status, 404);
    assert.equal(
      (await register({ domain: "elsewhere.test", requestUri: "sip:office.test" }))
        .status,
      404,
    );
    const reply = await register({ extra: ["Require: foo, path"] });
    assert.equal(reply.status, 420);
    assert.equal(header(reply, "Unsupported"), "foo");
  });

  it("answers 500 with Retry-After when the store cannot commit", async () => {
    const { register, store } = setup();
    store.failNextCommit = true;
    const reply = await register();
    assert.equal(reply.status, 500);
    assert.equal(header(reply, "Retry-After"), "5");
  });

  it("answers 400 with the parser's reason for a bad Expires or q", async () => {
    const { register } = setup();
    const bad = await register({ expires: "soon" });
    assert.equal(bad.status, 400);
    const q = await register({ contacts: ["<sip:bob@192.0.2.1>;q=7"] });
    assert.equal(q.status, 400);
  });
});

describe("Registrar.handleRegister() with an authenticator", () => {
  it("authenticates against the Request-URI's domain before any binding changes", async () => {
    const auth = new FakeAuthenticator();
    auth.decision = {
      ok: false,
      code: "unauthorized",
      headers: [["WWW-Authenticate", "Digest x"]],
    };
    const { register, store } = setup({}, auth);
    const reply = await register({ requestUri: "sip:OFFICE.test" });
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.headers, [["WWW-Authenticate", "Digest x"]]);
    assert.deepEqual(auth.realms, ["office.test"]);
    assert.equal(store.updates, 0);
  });

  it("passes on a stateless challenge as such, and only that one (RFC 3261 §8.2.7)", async () => {
    const auth = new FakeAuthenticator();
    const { register } = setup({}, auth);
    auth.decision = { ok: false, code: "unauthorized", headers: [], stateless: true };
    assert.equal((await register({ cseq: 1 })).stateless, true);
    auth.decision = { ok: false, code: "unauthorized", headers: [] };
    assert.notEqual((await register({ cseq: 2 })).stateless, true);
  });

  it("demands authentication for removals and Contact: * as well", async () => {
    const auth = new FakeAuthenticator();
    const { register, store } = setup({}, auth);
    await register({ cseq: 1 });
    auth.decision = { ok: false, code: "unauthorized", headers: [] };
    assert.equal((await register({ expires: 0, cseq: 2 })).status, 401);
    assert.equal((await register({ contacts: ["*"], expires: 0, cseq: 3 })).status, 401);
    assert.equal(store.bindingsOf("sip:bob@office.test").length, 1);
  });

  it("lets a user register only its own AoR, unless it is an admin (§10.3 step 4)", async () => {
    const auth = new FakeAuthenticator();
    const { register, store } = setup({}, auth);
    assert.equal((await register({ user: "bob" })).status, 200);
    assert.equal((await register({ user: "alice" })).status, 403);
    auth.decision = { ok: true, user: { username: "root", realm: "office.test", admin: true } };
    assert.equal((await register({ user: "alice" })).status, 200);
    assert.equal(store.bindings.length, 2);
  });
});

describe("OUTCOMES", () => {
  // Every row of the outcome table, and a request that must end in it.
  const scenarios: Record<
    OutcomeCode,
    (t: ReturnType<typeof setup>) => RegistrarReply | Promise<RegistrarReply>
  > = {
    ok: (t) => t.register(),
    domainNotServed: (t) => t.register({ requestUri: "sip:other.test" }),
    badExtension: (t) => t.register({ extra: ["Require: 100rel"] }),
    aorNotSip: (t) => t.register({ to: "<tel:+15551234>" }),
    aorNotServed: (t) => {
      // Steps 3-4 come first: an admin may name any AoR, which step 5 then finds not served.
      t.auth!.decision = {
        ok: true,
        user: { username: "root", realm: "office.test", admin: true },
      };
      return t.register({ domain: "other.test", requestUri: "sip:office.test" });
    },
    wildcardNeedsExpiresZero: (t) => t.register({ contacts: ["*"], expires: 60 }),
    wildcardNotAlone: (t) => t.register({ contacts: ["*, <sip:a@192.0.2.1>"], expires: 0 }),
    intervalTooBrief: (t) => t.register({ expires: 1 }),
    staleCSeq: async (t) => {
      await t.register({ cseq: 2 });
      return t.register({ cseq: 1 });
    },
    tooManyContacts: async (t) => {
      await t.register({ contacts: ["<sip:a@192.0.2.1>"], callId: "a" });
      return t.register({ contacts: ["<sip:b@192.0.2.2>"], callId: "b" });
    },
    unauthorized: (t) => {
      t.auth!.decision = { ok: false, code: "unauthorized", headers: [] };
      return t.register();
    },
    badCredentials: (t) => {
      t.auth!.decision = { ok: false, code: "badCredentials", headers: [] };
      return t.register();
    },
    digestUriMismatch: (t) => {
      t.auth!.decision = { ok: false, code: "digestUriMismatch", headers: [] };
      return t.register();
    },
    authFailedTooOften: (t) => {
      t.auth!.decision = { ok: false, code: "authFailedTooOften", headers: [] };
      return t.register();
    },
    thirdPartyForbidden: (t) => t.register({ user: "alice" }),
    storeUnavailable: (t) => {
      t.store.failNextCommit = true;
      return t.register();
    },
  };

  it("has a scenario for every row and no scenario without a row", () => {
    assert.deepEqual(Object.keys(scenarios).sort(), Object.keys(OUTCOMES).sort());
  });

  for (
    const [code, run] of Object.entries(scenarios) as Array<[OutcomeCode, typeof scenarios.ok]>
  ) {
    it(`ends in ${code} (${OUTCOMES[code].status} ${OUTCOMES[code].reason})`, async () => {
      const t = setup(
        { domains: ["office.test"], maxContacts: 1, maxContactsPolicy: "reject" },
        new FakeAuthenticator(),
      );
      const reply = await run(t);
      assert.equal(reply.status, OUTCOMES[code].status);
      assert.equal(reply.reason, OUTCOMES[code].reason);
    });
  }
});

describe("httpDate()", () => {
  it("httpDate() writes the RFC 1123 date of the whole second, for every moment of that second", () => {
    const at = Date.UTC(2026, 10, 22, 5, 54, 33);
    assert.equal(httpDate(at), "Sun, 22 Nov 2026 05:54:33 GMT");
    assert.equal(httpDate(at + 999), "Sun, 22 Nov 2026 05:54:33 GMT");
    assert.equal(httpDate(at + 1000), "Sun, 22 Nov 2026 05:54:34 GMT");
    // A clock set back is followed, not ignored.
    assert.equal(httpDate(at - 60_000), "Sun, 22 Nov 2026 05:53:33 GMT");
    assert.equal(httpDate(at + 500), "Sun, 22 Nov 2026 05:54:33 GMT");
  });
});

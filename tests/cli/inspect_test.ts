// `registrar inspect`, `lookup`, `kick` and `expire` in-process, on a seeded data directory.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { openBindingStore } from "../../src/store/sqlite_binding_store.ts";
import { cli, makeBinding, makeEvent, seed, T0_MS, tempDir } from "./_cli_harness.ts";

/** Bob behind NAT: a private Contact, two refreshes from different ports. */
async function seedBob(dir: string): Promise<void> {
  await seed(
    dir,
    [
      makeBinding({
        contact: '<sip:bob@192.168.1.20:5060>;+sip.instance="<urn:uuid:1>"',
        contactUri: "sip:bob@192.168.1.20:5060",
        sourceAddress: "203.0.113.5",
        sourcePort: 40_877,
        q: 0.5,
        instance: "<urn:uuid:1>",
        regId: 1,
        path: "<sip:edge.office.test;lr>",
      }),
      makeBinding({
        id: "b0b002",
        contact: "<sip:bob@198.51.100.30>",
        contactUri: "sip:bob@198.51.100.30",
        sourceAddress: "198.51.100.30",
        refreshedAtMs: T0_MS - 60_000,
      }),
      makeBinding({
        id: "b0b003",
        contact: "<sip:bob@198.51.100.31>",
        contactUri: "sip:bob@198.51.100.31",
        sourceAddress: "198.51.100.31",
        refreshedAtMs: T0_MS - 10_000,
      }),
      makeBinding({
        id: "b0b0ex",
        contactUri: "sip:bob@198.51.100.40",
        expiresAtMs: T0_MS - 1_000,
      }),
      makeBinding({ aor: "sip:bob@branch.test", id: "b0b0br" }),
    ],
    [
      makeEvent({ atMs: T0_MS - 3_600_000, source: "203.0.113.5:40211" }),
      makeEvent({ atMs: T0_MS - 1_800_000, kind: "refreshed", source: "203.0.113.5:40877" }),
      makeEvent({
        atMs: T0_MS - 900_000,
        kind: "auth-failed",
        bindingId: null,
        contact: null,
        source: "192.0.2.66:5060",
        detail: "wrong password",
      }),
    ],
  );
}

describe("registrar inspect", () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await seedBob(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("inspect shows every stored field, the history in order, and the NAT diagnosis", async () => {
    const t = await cli(["inspect", "bob@office.test", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    const out = t.out;
    assert.match(out, /^sip:bob@office\.test: 3 current bindings, 1 expired \(not yet purged\)\n/);
    for (
      const field of [
        /Binding b0b001\n/,
        / {2}contact +<sip:bob@192\.168\.1\.20:5060>;\+sip\.instance="<urn:uuid:1>"\n/,
        / {2}contact URI +sip:bob@192\.168\.1\.20:5060\n/,
        / {2}source +203\.0\.113\.5:40877 \(udp, as seen\)\n/,
        / {2}user agent +Yealink SIP-T46S 66\.86\.0\.15\n/,
        / {2}q +0\.5\n/,
        / {2}call-id +call-bob@phone\n/,
        / {2}cseq +7\n/,
        / {2}expires +in 30m00s at 2023-11-14T22:43:20\.000Z \(granted 3600 s\)\n/,
        / {2}registered +2023-11-14T21:13:20\.000Z \(1h ago\)\n/,
        / {2}refreshed +2023-11-14T21:43:20\.000Z \(30m ago\)\n/,
        / {2}path +<sip:edge\.office\.test;lr>\n/,
        / {2}instance +<urn:uuid:1>\n/,
        / {2}reg-id +1\n/,
        /Binding b0b0ex\n[^]*expires +expired at/,
      ]
    ) assert.match(out, field);
    const history = out.slice(out.indexOf("History"));
    assert.match(history, /^History \(3 events, oldest first\)\n/);
    const kinds = [...history.matchAll(/^ {2}\d\d-\d\d \d\d:\d\d:\d\d +(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(kinds, ["registered", "refreshed", "auth-failed"]);
    assert.match(history, /203\.0\.113\.5:40211/);
    const nat = out.slice(out.indexOf("NAT diagnosis"));
    assert.match(nat, /! b0b001: Contact address 192\.168\.1\.20 is private/);
    assert.match(nat, /! b0b001: Source port changed once [^!]*40211 →\s+203\.0\.113\.5:40877/);
    assert.match(nat, /Fix: enable rport/);
    for (const line of history.split("\n")) assert.ok(line.length <= 80, line);
  });

  it("inspect accepts user, user@domain and a full AoR, and asks which domain when ambiguous", async () => {
    const full = await cli(["inspect", "sip:bob@OFFICE.test", "--json", "--data", dir]);
    assert.equal(full.code, 0, full.err);
    const doc = JSON.parse(full.out);
    assert.equal(doc.aor, "sip:bob@office.test");
    assert.equal(doc.bindings.length, 4);
    assert.deepEqual(doc.history.map((e: { kind: string }) => e.kind), [
      "registered",
      "refreshed",
      "auth-failed",
    ]);
    assert.deepEqual(doc.diagnosis.map((f: { problem: string }) => f.problem), [
      "private-contact",
      "source-port-changed",
    ]);
    const ambiguous = await cli(["inspect", "bob", "--data", dir]);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.err, /User "bob" exists in several domains/);
    const byDomain = await cli(["inspect", "bob", "--domain", "branch.test", "--data", dir]);
    assert.equal(byDomain.code, 0, byDomain.err);
    assert.match(byDomain.out, /^sip:bob@branch\.test: 1 current binding\n/);
  });

  it("inspect of an unknown AoR says so and exits 1", async () => {
    for (const target of ["nobody", "nobody@office.test"]) {
      const t = await cli(["inspect", target, "--data", dir]);
      assert.equal(t.code, 1, target);
      assert.match(t.err, /^registrar inspect: No bindings or history for .*nobody/);
      assert.equal(t.err.trim().split("\n").length, 1);
    }
  });
});

describe("registrar lookup", () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await seedBob(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("lookup lists current contacts by q (absent = 1.0), ties by latest refresh", async () => {
    const t = await cli(["lookup", "bob@office.test", "--json", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    assert.deepEqual(JSON.parse(t.out).map((b: { id: string }) => b.id), [
      "b0b003",
      "b0b002",
      "b0b001",
    ]);
    const table = await cli(["lookup", "sip:bob@office.test", "--data", dir]);
    assert.match(
      table.out,
      /^Q +CONTACT +ID +SOURCE +EXPIRES\n1\.0 +sip:bob@198\.51\.100\.31 +b0b003/,
    );
    assert.match(
      table.out,
      /\n0\.5 +sip:bob@192\.168\.1\.20:5060 +b0b001 +203\.0\.113\.5:40877\/udp/,
    );
  });

  it("lookup exits 1 when there is no current contact", async () => {
    const t = await cli(["lookup", "ghost@office.test", "--data", dir]);
    assert.equal(t.code, 1);
    assert.match(t.err, /^registrar lookup: No current contact for "sip:ghost@office\.test"\n$/);
  });
});

describe("registrar kick", () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await seedBob(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("kick USER ID removes one binding with one kicked event (source null, detail cli)", async () => {
    const t = await cli(["kick", "bob@office.test", "b0b002", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    assert.equal(t.out, "Removed b0b002 sip:bob@198.51.100.30 from sip:bob@office.test\n");
    const store = openBindingStore(dir);
    try {
      assert.deepEqual(
        store.bindingsOf("sip:bob@office.test").map((b) => b.id),
        ["b0b001", "b0b003", "b0b0ex"],
      );
      const last = store.events({ aor: "sip:bob@office.test" }).at(-1)!;
      assert.deepEqual(
        { kind: last.kind, id: last.bindingId, source: last.source, detail: last.detail },
        { kind: "kicked", id: "b0b002", source: null, detail: "cli" },
      );
      assert.equal(last.atMs, T0_MS);
    } finally {
      store.close();
    }
  });

  it("kick USER CONTACT matches the contact URI by RFC 3261 comparison", async () => {
    const t = await cli(["kick", "bob@office.test", "<SIP:bob@198.51.100.31>", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^Removed b0b003 /);
  });

  it("kick of an unknown binding or user exits 1 with one line", async () => {
    const noBinding = await cli(["kick", "bob@office.test", "zzzzzz", "--data", dir]);
    assert.equal(noBinding.code, 1);
    assert.match(noBinding.err, /^registrar kick: No binding "zzzzzz" for "sip:bob@office\.test"/);
    const noUser = await cli(["kick", "nobody@office.test", "--data", dir]);
    assert.equal(noUser.code, 1);
    assert.match(noUser.err, /No bindings for "sip:nobody@office\.test"/);
  });

  it("kick USER removes every binding of the AoR and prints each", async () => {
    const t = await cli(["kick", "bob@office.test", "--json", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    assert.deepEqual(JSON.parse(t.out).map((b: { id: string }) => b.id), ["b0b001", "b0b0ex"]);
    const list = await cli(["list", "--expired", "--json", "--data", dir]);
    assert.deepEqual(JSON.parse(list.out).map((b: { aor: string }) => b.aor), [
      "sip:bob@branch.test",
    ]);
  });
});

describe("registrar expire", () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await seedBob(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("expire --dry-run shows what would go and changes nothing; expire purges it", async () => {
    const dry = await cli(["expire", "--dry-run", "--data", dir]);
    assert.equal(dry.code, 0, dry.err);
    assert.equal(
      dry.out,
      "Would purge b0b0ex sip:bob@198.51.100.40 from sip:bob@office.test (expired 1s ago)\n",
    );
    const real = await cli(["expire", "--data", dir]);
    assert.equal(real.code, 0);
    assert.match(real.out, /^Purged b0b0ex /);
    const again = await cli(["expire", "--data", dir]);
    assert.equal(again.code, 1, "nothing to do");
    assert.equal(again.out, "No expired bindings.\n");
    const events = await cli(["events", "--json", "--user", "bob@office.test", "--data", dir]);
    const last = JSON.parse(events.out.trim().split("\n").at(-1)!);
    assert.equal(last.kind, "expired");
    assert.equal(last.bindingId, "b0b0ex");
  });
});

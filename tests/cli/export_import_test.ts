// `registrar export` / `import` in-process: versioned format, byte-identical round trip, refusals.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseExport } from "../../src/cli/export_format.ts";
import { cli, makeBinding, seed, T0_MS, tempDir } from "./_cli_harness.ts";

describe("registrar export and import", () => {
  let source: string;
  let target: string;
  let work: string;
  before(async () => {
    source = tempDir();
    target = tempDir();
    work = tempDir();
    await seed(source, [
      makeBinding({
        q: 0.7,
        path: "<sip:edge;lr>",
        instance: "<urn:uuid:1>",
        regId: 1,
        contact: '<sip:bob@198.51.100.20:5060>;+sip.instance="<urn:uuid:1>";reg-id=1',
      }),
      makeBinding({ id: "exp001", contactUri: "sip:bob@198.51.100.9", expiresAtMs: T0_MS - 1 }),
      makeBinding({ aor: "sip:alice@office.test", id: "a11ce1", userAgent: null }),
    ]);
    const add = await cli([
      "user",
      "add",
      "bob@office.test",
      "--admin",
      "--password-stdin",
      "--data",
      source,
    ], {
      stdin: "pw\n",
    });
    assert.equal(add.code, 0, add.err);
  });
  after(() => {
    for (const d of [source, target, work]) rmSync(d, { recursive: true, force: true });
  });

  it("export writes the versioned format; users only with --users, HA1s and no passwords", async () => {
    const plain = await cli(["export", "--data", source]);
    assert.equal(plain.code, 0, plain.err);
    const doc = JSON.parse(plain.out);
    assert.equal(doc.format, "registrar-export");
    assert.equal(doc.version, 1);
    assert.equal(doc.exportedAt, new Date(T0_MS).toISOString());
    assert.equal(doc.bindings.length, 3, "expired-but-not-purged bindings are part of the table");
    assert.equal(doc.users, undefined);
    const withUsers = JSON.parse((await cli(["export", "--users", "--data", source])).out);
    assert.deepEqual(Object.keys(withUsers.users[0]).sort(), [
      "admin",
      "ha1Md5",
      "ha1Sha256",
      "realm",
      "username",
    ]);
    assert.doesNotMatch(JSON.stringify(withUsers), /"pw"/);
  });

  it("export FILE → import FILE → export gives the same bytes", async () => {
    const first = join(work, "first.json");
    const e1 = await cli(["export", first, "--users", "--data", source]);
    assert.equal(e1.code, 0, e1.err);
    assert.equal(e1.out, `Exported 3 bindings and 1 user to ${first}\n`);
    const i = await cli(["import", first, "--data", target]);
    assert.equal(i.code, 0, i.err);
    assert.equal(i.out, `Imported 3 bindings and 1 user (1 added, 0 updated) from ${first}\n`);
    const second = join(work, "second.json");
    assert.equal((await cli(["export", second, "--users", "--data", target])).code, 0);
    assert.equal(readFileSync(second, "utf8"), readFileSync(first, "utf8"));
    // Importing again replaces by (aor, id): nothing is duplicated.
    assert.equal((await cli(["import", first, "--data", target])).code, 0);
    const again = await cli(["export", "-", "--users", "--data", target]);
    assert.equal(again.out, readFileSync(first, "utf8"));
  });

  it("import refuses bad records, naming each, and writes nothing", async () => {
    const good = JSON.parse((await cli(["export", "--data", source])).out);
    const bad = structuredClone(good);
    bad.bindings[0].cseq = 1.5;
    bad.bindings[2].expiresAt = "yesterday";
    bad.bindings[2].source.port = 70_000;
    bad.bindings.push({ ...good.bindings[1], q: 0.1 });
    bad.users = [{
      username: "x",
      realm: "office.test",
      ha1Md5: "nothex",
      ha1Sha256: "",
      admin: 1,
    }];
    const file = join(work, "bad.json");
    writeFileSync(file, JSON.stringify(bad));
    const fresh = tempDir();
    try {
      const t = await cli(["import", file, "--data", fresh]);
      assert.equal(t.code, 1);
      assert.match(t.err, /Binding 1 \("a11ce1"\): "cseq" must be a whole number/);
      assert.match(t.err, /Binding 3 \("exp001"\): "expiresAt" must be an ISO 8601 UTC time/);
      assert.match(
        t.err,
        /Binding 3 \("exp001"\): "source\.port" must be a whole number from 0 to 65535/,
      );
      assert.match(t.err, /Binding 4: duplicate id "b0b001" for "sip:bob@office\.test"/);
      assert.match(t.err, /User 1: invalid MD5 HA1/);
      assert.match(t.err, /is not a valid registrar export; nothing imported\n$/);
      const list = await cli(["list", "--expired", "--json", "--data", fresh]);
      assert.deepEqual(JSON.parse(list.out), []);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("parseExport() refuses other formats and versions, and non-JSON", () => {
    assert.throws(() => parseExport("{"), { message: /^Not valid JSON/ });
    assert.throws(() => parseExport('{"format":"x"}'), {
      message: /Expected "format": "registrar-export"/,
    });
    assert.throws(
      () => parseExport('{"format":"registrar-export","version":2,"bindings":[]}'),
      { message: /Unsupported export version 2; this registrar reads version 1/ },
    );
    assert.deepEqual(parseExport('{"format":"registrar-export","version":1,"bindings":[]}'), {
      bindings: [],
      users: null,
    });
  });

  it("import of a missing file exits 1; without FILE exits 2", async () => {
    const missing = await cli(["import", join(work, "nope.json"), "--data", target]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Cannot read ".*nope\.json": no such file/);
    const none = await cli(["import", "--data", target]);
    assert.equal(none.code, 2);
    assert.match(none.err, /Usage: registrar import FILE/);
  });
});

// `registrar user …` in-process: HA1 storage, password input, import of many users.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { computeHa1 } from "../../src/auth/digest.ts";
import { parseUserLines } from "../../src/cli/user.ts";
import { openUserStore } from "../../src/store/sqlite_user_store.ts";
import { cli, tempDir } from "./_cli_harness.ts";

describe("registrar user", () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("user add stores MD5 and SHA-256 HA1 for the realm, never the password", async () => {
    const t = await cli(["user", "add", "bob@Office.test", "--password-stdin", "--data", dir], {
      stdin: "s3cret:with colon\nignored second line\n",
    });
    assert.equal(t.code, 0, t.err);
    assert.equal(t.out, "Added user bob@office.test\n");
    const users = openUserStore(dir);
    try {
      assert.deepEqual(users.findUser("bob", "office.test"), {
        username: "bob",
        realm: "office.test",
        ha1Md5: computeHa1("MD5", "bob", "office.test", "s3cret:with colon"),
        ha1Sha256: computeHa1("SHA-256", "bob", "office.test", "s3cret:with colon"),
        admin: false,
      });
    } finally {
      users.close();
    }
    const again = await cli(["user", "add", "bob@office.test", "--password-stdin", "--data", dir], {
      stdin: "x\n",
    });
    assert.equal(again.code, 1);
    assert.match(again.err, /^registrar user add: User "bob@office\.test" exists already/);
  });

  it("user add prompts twice on a terminal; a mismatch changes nothing", async () => {
    const ok = await cli(["user", "add", "carol", "--admin", "--data", dir], {
      stdinIsTty: true,
      passwords: ["pw1", "pw1"],
      env: { REGISTRAR_DOMAIN: "office.test" },
    });
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(ok.run.prompts, ["Password for carol@office.test: ", "Retype password: "]);
    assert.equal(ok.out, "Added user carol@office.test (admin)\n");
    const mismatch = await cli(["user", "add", "dave@office.test", "--data", dir], {
      stdinIsTty: true,
      passwords: ["pw1", "pw2"],
    });
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.err, /Passwords do not match; nothing changed/);
    const notTty = await cli(["user", "add", "dave@office.test", "--data", dir]);
    assert.equal(notTty.code, 2);
    assert.match(
      notTty.err,
      /not a terminal: pass the password with --password-stdin\nUsage: registrar user add/,
    );
    const list = await cli(["user", "list", "--json", "--data", dir]);
    assert.deepEqual(JSON.parse(list.out), [
      { username: "bob", realm: "office.test", admin: false },
      { username: "carol", realm: "office.test", admin: true },
    ]);
  });

  it("user passwd changes the HA1s and keeps the admin flag; remove deletes", async () => {
    const t = await cli(
      ["user", "passwd", "carol@office.test", "--password-stdin", "--data", dir],
      {
        stdin: "new\r\n",
      },
    );
    assert.equal(t.code, 0, t.err);
    const users = openUserStore(dir);
    try {
      const carol = users.findUser("carol", "office.test")!;
      assert.equal(carol.ha1Md5, computeHa1("MD5", "carol", "office.test", "new"));
      assert.equal(carol.admin, true);
    } finally {
      users.close();
    }
    const missing = await cli([
      "user",
      "passwd",
      "zed@office.test",
      "--password-stdin",
      "--data",
      dir,
    ], {
      stdin: "x\n",
    });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /No user "zed@office\.test"/);
    assert.equal((await cli(["user", "remove", "carol@office.test", "--data", dir])).code, 0);
    const gone = await cli(["user", "remove", "carol@office.test", "--data", dir]);
    assert.equal(gone.code, 1);
    const table = await cli(["user", "list", "--data", dir]);
    assert.equal(table.out, "USER  DOMAIN       ADMIN\nbob   office.test  no\n");
  });

  it("parseUserLines() skips comments and blanks and reports every bad line by number", () => {
    const text = [
      "# staff",
      "",
      "alice:pw",
      "bob@Branch.test:p:w",
      "nocolon",
      "eve:",
      "alice:again",
      "x y:pw",
      "zed:pw",
    ].join("\n");
    const result = parseUserLines(text, ["office.test"]);
    assert.deepEqual(result.users.map((u) => [u.line, u.username, u.realm, u.password]), [
      [3, "alice", "office.test", "pw"],
      [4, "bob", "branch.test", "p:w"],
      [9, "zed", "office.test", "pw"],
    ]);
    assert.deepEqual(result.problems, [
      'Line 5: expected "user:password" (no ":" found)',
      'Line 6: empty password for "eve"',
      'Line 7: "alice@office.test" appears already on line 3',
      'Line 8: Invalid user name "x y" (no spaces, ":" or "@")',
    ]);
  });

  it("user import refuses a file with bad lines and writes nothing", async () => {
    const file = join(dir, "bad.txt");
    writeFileSync(file, "ok1@office.test:pw\nbroken\n");
    const t = await cli(["user", "import", file, "--data", dir]);
    assert.equal(t.code, 1);
    assert.match(t.err, /Line 2: expected "user:password"/);
    assert.match(t.err, /1 bad line in ".*bad\.txt"; nothing imported\n$/);
    const list = await cli(["user", "list", "--json", "--data", dir]);
    assert.equal(JSON.parse(list.out).length, 1);
  });

  it("user import - adds 5,000 users in one transaction within seconds", async () => {
    const lines = ["# generated"];
    for (let i = 0; i < 5000; i++) lines.push(`u${i}:password-${i}`);
    lines.push("bob@office.test:changed");
    const started = performance.now();
    const t = await cli(["user", "import", "-", "--domain", "office.test", "--data", dir], {
      stdin: lines.join("\n") + "\n",
    });
    const elapsedMs = performance.now() - started;
    assert.equal(t.code, 0, t.err);
    assert.equal(t.out, "Imported 5001 users (5000 added, 1 updated)\n");
    assert.ok(elapsedMs < 10_000, `took ${elapsedMs} ms`);
    const users = openUserStore(dir);
    try {
      assert.equal(users.countUsers(), 5001);
      assert.equal(
        users.findUser("u4999", "office.test")!.ha1Sha256,
        computeHa1("SHA-256", "u4999", "office.test", "password-4999"),
      );
    } finally {
      users.close();
    }
  });
});

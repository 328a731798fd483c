// The CLI in-process: help, version, usage errors with exit 2, config file and env precedence.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS, configKeys } from "../../src/cli/main.ts";
import { cli, makeBinding, seed, tempDir } from "./_cli_harness.ts";

describe("main()", () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("main() prints help and version with exit 0", async () => {
    const help = await cli(["--help"]);
    assert.equal(help.code, 0);
    for (const name of Object.keys(COMMANDS)) assert.match(help.out, new RegExp(`\\n  ${name} `));
    const version = await cli(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.out, /^registrar \d+\.\d+\.\d+\n$/);
    const serveHelp = await cli(["serve", "--help"]);
    assert.equal(serveHelp.code, 0);
    assert.match(serveHelp.out, /--min-expires S .*REGISTRAR_MIN_EXPIRES/);
    assert.match(serveHelp.out, /--config FILE/);
  });

  it("main() prints help for every command, generated from its options", async () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      const t = await cli([name, "--help"]);
      assert.equal(t.code, 0, name);
      assert.match(t.out, /^Usage: registrar /, name);
      for (const spec of name === "user" ? [] : command.options) {
        assert.match(t.out, new RegExp(`--${spec.name}\\b`), `${name} --${spec.name}`);
      }
    }
    for (const sub of ["add", "passwd", "remove", "list", "import"]) {
      const t = await cli(["user", sub, "--help"]);
      assert.equal(t.code, 0, sub);
      assert.match(t.out, new RegExp(`^Usage: registrar user ${sub}`), sub);
    }
  });

  it("main() answers usage errors with one line, the usage line, and exit 2", async () => {
    const cases: string[][] = [
      [],
      ["frobnicate"],
      ["list", "--nope"],
      ["list", "extra"],
      ["serve", "--min-expires", "abc"],
      ["serve", "--listen", "1.2.3.4:99999"],
      ["serve", "--auth", "maybe"],
      ["serve", "--digest-algorithms", "MD5,SHA-1"],
      ["serve", "--allow", "10.0.0.0/33"],
      ["serve", "--rate-limit", "-1"],
      ["serve", "--warm-up", "-1"],
      ["serve", "--warm-up", "many"],
      ["serve", "--min-expires", "600", "--max-expires", "60"],
      ["inspect"],
      ["kick"],
      ["kick", "bob", "id", "extra"],
      ["lookup"],
      ["import"],
      ["events", "--limit", "x"],
      ["user"],
      ["user", "frob"],
      ["user", "add"],
      ["user", "add", "bob", "--data", dir],
      ["user", "add", "bob@office.test", "--data", dir],
    ];
    for (const argv of cases) {
      const t = await cli(argv);
      assert.equal(t.code, 2, argv.join(" "));
      assert.match(t.err, /Usage: registrar/, argv.join(" "));
      assert.doesNotMatch(t.err, /\n\s+at /, "no stack trace");
      const first = t.err.split("\n")[0]!;
      if (argv.length > 0 && argv.join(" ") !== "user") {
        assert.match(first, /^registrar[a-z ]*: [A-Z"-]/, `sentence case: ${first}`);
      }
    }
  });

  it("main() takes options from REGISTRAR_* variables, flags winning", async () => {
    const t = await cli(["serve"], { env: { REGISTRAR_MIN_EXPIRES: "abc" } });
    assert.equal(t.code, 2);
    assert.match(t.err, /--min-expires expects a whole number/);
  });

  it("main() lists an empty database as such, and as [] in JSON", async () => {
    const t = await cli(["list", "--data", dir]);
    assert.equal(t.code, 0);
    assert.equal(t.out, "No bindings.\n");
    const j = await cli(["list", "--json", "--data", dir]);
    assert.equal(j.code, 0);
    assert.deepEqual(JSON.parse(j.out), []);
  });

  it("main() fails with one line and exit 1 when the database cannot be opened", async () => {
    const t = await cli(["list", "--data", "/proc/nope/registrar"]);
    assert.equal(t.code, 1);
    assert.equal(t.err.trim().split("\n").length, 1);
    assert.match(t.err, /^registrar list: Cannot open database/);
  });
});

describe("main() config file", () => {
  let dir: string;
  let other: string;
  before(async () => {
    dir = tempDir();
    other = tempDir();
    await seed(other, [makeBinding({ aor: "sip:carol@branch.test", id: "c0001a" })]);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  });

  it("configKeys() holds the long names of options with variables, not per-call filters", () => {
    const keys = configKeys();
    for (const key of ["data", "domain", "min-expires", "listen", "log-level"]) {
      assert.ok(keys.has(key), key);
    }
    for (const key of ["json", "help", "user", "expired", "config", "follow"]) {
      assert.ok(!keys.has(key), key);
    }
  });

  it("main() reads <data>/registrar.json, env and flags winning over it", async () => {
    const data = join(dir, "precedence");
    mkdirSync(data);
    writeFileSync(join(data, "registrar.json"), JSON.stringify({ domain: ["file.test"] }));
    const add = (extra: string[], env: Record<string, string> = {}) =>
      cli(["user", "add", "bob", "--password-stdin", "--data", data, ...extra], {
        stdin: "pw\n",
        env,
      });
    assert.equal((await add([])).code, 0);
    assert.equal((await add([], { REGISTRAR_DOMAIN: "env.test" })).code, 0);
    assert.equal((await add(["--domain", "flag.test"], { REGISTRAR_DOMAIN: "env.test" })).code, 0);
    const list = await cli(["user", "list", "--json", "--data", data]);
    assert.deepEqual(
      JSON.parse(list.out).map((u: { realm: string }) => u.realm),
      ["env.test", "file.test", "flag.test"],
    );
  });

  it("main() reads --config FILE, whose data key chooses the database", async () => {
    const file = join(dir, "explicit.json");
    writeFileSync(file, JSON.stringify({ data: other, "min-expires": 120 }));
    const t = await cli(["list", "--config", file, "--json"]);
    assert.equal(t.code, 0, t.err);
    assert.deepEqual(JSON.parse(t.out).map((b: { id: string }) => b.id), ["c0001a"]);
    // The list filter --domain is per call: the file's "domain" never filters a listing.
    writeFileSync(file, JSON.stringify({ data: other, domain: ["office.test"] }));
    const all = await cli(["list", "--config", file, "--json"]);
    assert.equal(JSON.parse(all.out).length, 1);
  });

  it("main() refuses unknown keys, bad JSON, bad values and a missing --config (exit 2)", async () => {
    const file = join(dir, "bad.json");
    const cases: Array<[string, RegExp]> = [
      ['{"domian": ["x"]}', /Unknown key "domian" in config file ".*bad\.json"/],
      ['{"json": true}', /Unknown key "json"/],
      ["{nope", /is not valid JSON/],
      ['["a"]', /must hold a JSON object/],
      ['{"min-expires": true}', /Config key "min-expires" must be a string or number/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(file, text);
      const t = await cli(["serve", "--config", file]);
      assert.equal(t.code, 2, text);
      assert.match(t.err, message, text);
      assert.match(t.err, /Usage: registrar serve/);
    }
    const missing = await cli(["list", "--config", join(dir, "missing.json")]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /Cannot read config file ".*missing\.json": no such file/);
  });

  it("main() applies the file's serve options below REGISTRAR_* variables", async () => {
    const file = join(dir, "serve.json");
    writeFileSync(file, JSON.stringify({ "min-expires": "abc" }));
    const fromFile = await cli(["serve", "--config", file]);
    assert.equal(fromFile.code, 2);
    assert.match(fromFile.err, /--min-expires expects a whole number, got "abc"/);
    const envWins = await cli(["serve", "--config", file], {
      env: { REGISTRAR_MIN_EXPIRES: "xyz" },
    });
    assert.match(envWins.err, /got "xyz"/);
    const flagWins = await cli(["serve", "--config", file, "--min-expires", "q"], {
      env: { REGISTRAR_MIN_EXPIRES: "xyz" },
    });
    assert.match(flagWins.err, /got "q"/);
  });
});

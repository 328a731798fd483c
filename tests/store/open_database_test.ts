// Tests for openDatabase, openDataDirectory and migrateDatabase: PRAGMAs, versions, clear errors.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DatabaseOpenError } from "../../src/store/database_open_error.ts";
import { DatabaseSync } from "node:sqlite";
import {
  migrateDatabase,
  MIGRATIONS,
  readSchemaVersion,
  SCHEMA_VERSION,
} from "../../src/store/migrations.ts";
import { openDatabase, openDataDirectory } from "../../src/store/open_database.ts";
import { filePermissionsEnforced, makeTempDir, removeTempDir } from "./_store_fixtures.ts";

function pragma(db: ReturnType<typeof openDatabase>, name: string): unknown {
  const row = db.prepare(`PRAGMA ${name}`).get() ?? {};
  return Object.values(row)[0];
}

function tableNames(db: ReturnType<typeof openDatabase>): string[] {
  return db.prepare(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  ).all().map((row) => String(row.name));
}

describe("openDatabase()", () => {
  let dir = "";
  before(() => {
    dir = makeTempDir();
  });
  after(() => removeTempDir(dir));

  it("openDatabase() turns on WAL, synchronous=FULL, foreign keys and a busy timeout on a file", () => {
    const path = join(dir, "pragmas.db");
    for (let open = 0; open < 2; open++) {
      const db = openDatabase(path);
      try {
        assert.equal(pragma(db, "journal_mode"), "wal");
        assert.equal(pragma(db, "synchronous"), 2); // FULL
        assert.equal(pragma(db, "foreign_keys"), 1);
        assert.equal(pragma(db, "busy_timeout"), 5000);
        db.exec("INSERT INTO meta (key, value) VALUES ('open-" + open + "', 'x')");
        assert.ok(existsSync(`${path}-wal`), "a write goes to the -wal file");
      } finally {
        db.close();
      }
    }
  });

  it("openDatabase() applies a custom busy timeout", () => {
    const db = openDatabase(join(dir, "busy.db"), { busyTimeoutMs: 250 });
    assert.equal(pragma(db, "busy_timeout"), 250);
    db.close();
  });

  it("openDatabase() rejects a negative busy timeout", () => {
    assert.throws(() => openDatabase(":memory:", { busyTimeoutMs: -1 }), RangeError);
  });

  it("openDatabase() creates the current schema in memory", () => {
    const db = openDatabase(":memory:");
    assert.equal(readSchemaVersion(db), SCHEMA_VERSION);
    assert.equal(SCHEMA_VERSION, 4);
    assert.deepEqual(tableNames(db), ["bans", "bindings", "events", "meta", "users"]);
    const indexes = db.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    ).all().map((row) => String(row.name));
    assert.deepEqual(indexes, ["bindings_expires_at_ms", "events_aor"]);
    assert.equal(pragma(db, "synchronous"), 2);
    db.close();
  });

  it("openDatabase() moves a version 3 history to version 4 with every row and seq kept", () => {
    const path = join(dir, "v3.db");
    const v3 = new DatabaseSync(path);
    v3.exec("PRAGMA journal_mode = WAL");
    migrateDatabase(v3, path, MIGRATIONS.slice(0, 3));
    const insert = v3.prepare(
      "INSERT INTO events (at_ms, aor, kind, binding_id, contact, source, detail) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    for (let i = 1; i <= 5; i++) {
      const aor = i % 2 === 0 ? "sip:bob@example.com" : "sip:alice@example.com";
      insert.run(
        1000 + i,
        aor,
        "registered",
        `b${i}`,
        `<sip:x${i}@192.0.2.1>`,
        "192.0.2.1:5060",
        null,
      );
    }
    v3.exec("DELETE FROM events WHERE seq IN (1, 2)"); // pruned under version 3
    const before = v3.prepare("SELECT * FROM events ORDER BY seq").all();
    v3.close();

    const db = openDatabase(path);
    assert.equal(readSchemaVersion(db), SCHEMA_VERSION);
    assert.deepEqual(db.prepare("SELECT * FROM events ORDER BY seq").all(), before);
    const sql = String(
      db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'events'").get()?.sql,
    );
    assert.doesNotMatch(sql, /AUTOINCREMENT/);
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_sequence").all(), []);
    // The next event follows the newest one, as AUTOINCREMENT numbered it.
    db.prepare(
      "INSERT INTO events (at_ms, aor, kind) VALUES (2000, 'sip:alice@example.com', 'expired')",
    ).run();
    assert.deepEqual(
      db.prepare("SELECT seq FROM events ORDER BY seq").all().map((row) => row.seq),
      [3, 4, 5, 6],
    );
    db.close();
  });

  it("openDatabase() migrates once: reopening keeps data and the version", () => {
    const path = join(dir, "idempotent.db");
    const first = openDatabase(path);
    first.exec("INSERT INTO meta (key, value) VALUES ('secret', 's3cr3t')");
    first.close();
    const second = openDatabase(path);
    assert.equal(readSchemaVersion(second), SCHEMA_VERSION);
    assert.deepEqual({ ...second.prepare("SELECT value FROM meta WHERE key = 'secret'").get() }, {
      value: "s3cr3t",
    });
    second.close();
  });

  it("openDatabase() refuses a database whose schema is newer than the code", () => {
    const path = join(dir, "newer.db");
    const db = openDatabase(path);
    db.exec("PRAGMA user_version = 99");
    db.close();
    assert.throws(() => openDatabase(path), (error: unknown) => {
      assert.ok(error instanceof DatabaseOpenError);
      assert.equal(
        error.message,
        `Cannot open database "${path}": schema version 99 is newer than this registrar ` +
          `supports (${SCHEMA_VERSION}); upgrade the registrar`,
      );
      return true;
    });
  });

  it("openDatabase() names the file and says it is not a database", () => {
    const path = join(dir, "garbage.db");
    writeFileSync(
      path,
      "this is not an SQLite file, just some text long enough to be read".repeat(20),
    );
    assert.throws(() => openDatabase(path), (error: unknown) => {
      assert.ok(error instanceof DatabaseOpenError);
      assert.equal(
        error.message,
        `Cannot open database "${path}": the file is not an SQLite database`,
      );
      return true;
    });
  });
});

describe("migrateDatabase()", () => {
  const step1 = "CREATE TABLE one (x INTEGER) STRICT;";
  const step2 = "CREATE TABLE two (y INTEGER) STRICT;";

  it("migrateDatabase() applies only the steps past the current version", () => {
    const db = openDatabase(":memory:");
    db.exec(
      "PRAGMA user_version = 0; DROP TABLE bindings; DROP TABLE events; DROP TABLE meta; DROP TABLE users; DROP TABLE bans;",
    );
    migrateDatabase(db, ":memory:", [step1]);
    assert.equal(readSchemaVersion(db), 1);
    db.exec("INSERT INTO one VALUES (7)");
    migrateDatabase(db, ":memory:", [step1, step2]);
    assert.equal(readSchemaVersion(db), 2);
    assert.deepEqual(tableNames(db), ["one", "two"]);
    assert.equal(db.prepare("SELECT x FROM one").get()?.x, 7);
    migrateDatabase(db, ":memory:", [step1, step2]);
    assert.equal(readSchemaVersion(db), 2);
    db.close();
  });

  it("migrateDatabase() rolls every step back when one fails", () => {
    const db = openDatabase(":memory:");
    db.exec(
      "PRAGMA user_version = 0; DROP TABLE bindings; DROP TABLE events; DROP TABLE meta; DROP TABLE users; DROP TABLE bans;",
    );
    assert.throws(
      () => migrateDatabase(db, "test.db", [step1, "CREATE TABLE broken ("]),
      {
        name: "DatabaseOpenError",
        message: /^Cannot open database "test\.db": cannot migrate to schema version 2: /,
      },
    );
    assert.equal(readSchemaVersion(db), 0);
    assert.deepEqual(tableNames(db), []);
    assert.equal(db.isTransaction, false);
    db.close();
  });
});

describe("openDataDirectory()", () => {
  let dir = "";
  before(() => {
    dir = makeTempDir();
  });
  after(() => removeTempDir(dir));

  it("openDataDirectory() creates the directory and registrar.db", () => {
    const dataDir = join(dir, "nested", "data");
    const { db, path } = openDataDirectory(dataDir);
    assert.equal(path, join(dataDir, "registrar.db"));
    assert.ok(existsSync(path));
    assert.equal(pragma(db, "journal_mode"), "wal");
    db.close();
  });

  it('openDataDirectory() gives an in-memory database for ":memory:"', () => {
    const { db, path } = openDataDirectory(":memory:");
    assert.equal(path, ":memory:");
    assert.equal(readSchemaVersion(db), SCHEMA_VERSION);
    db.close();
  });

  it("openDataDirectory() reports a data directory that is a file in one line", () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "x");
    assert.throws(() => openDataDirectory(join(file, "data")), (error: unknown) => {
      assert.ok(error instanceof DatabaseOpenError);
      assert.equal(
        error.message,
        `Cannot open database "${
          join(file, "data", "registrar.db")
        }": a component of the path is not a directory`,
      );
      return true;
    });
  });

  it("openDataDirectory() reports an unwritable directory as permission denied", {
    skip: filePermissionsEnforced() ? false : "file permissions are not enforced for this user",
  }, () => {
    const locked = join(dir, "locked");
    mkdirSync(locked, { mode: 0o500 });
    assert.throws(() => openDataDirectory(locked), {
      name: "DatabaseOpenError",
      message: `Cannot open database "${join(locked, "registrar.db")}": permission denied`,
    });
  });
});

// SqliteUserStore and the meta helpers: HA1 rows per realm, all-or-nothing imports, heartbeat.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { UserCredentials } from "../../src/auth/user_directory.ts";
import {
  isServerRunning,
  readMeta,
  readServerStatus,
  writeMeta,
  writeServerStatus,
} from "../../src/store/meta.ts";
import type { ServerStatus } from "../../src/store/meta.ts";
import { openDatabase } from "../../src/store/open_database.ts";
import { SqliteUserStore } from "../../src/store/sqlite_user_store.ts";

function user(overrides: Partial<UserCredentials> = {}): UserCredentials {
  return {
    username: "bob",
    realm: "office.test",
    ha1Md5: "a".repeat(32),
    ha1Sha256: "b".repeat(64),
    admin: false,
    ...overrides,
  };
}

describe("SqliteUserStore", () => {
  it("SqliteUserStore finds users by case-sensitive name and lower-cased realm", () => {
    const db = openDatabase(":memory:");
    const users = new SqliteUserStore(db);
    assert.equal(users.add(user(), 1), true);
    assert.equal(users.add(user(), 2), false, "exists already");
    assert.deepEqual(users.findUser("bob", "OFFICE.test"), user());
    assert.equal(users.findUser("Bob", "office.test"), null);
    assert.equal(users.countUsers(), 1);
    assert.equal(users.update(user({ admin: true, ha1Md5: "c".repeat(32) }), 3), true);
    assert.equal(users.findUser("bob", "office.test")!.admin, true);
    assert.equal(users.update(user({ username: "nobody" }), 3), false);
    assert.equal(users.remove("bob", "office.test"), true);
    assert.equal(users.remove("bob", "office.test"), false);
    db.close();
  });

  it("SqliteUserStore.importMany() writes all or nothing and can keep admin flags", () => {
    const db = openDatabase(":memory:");
    const users = new SqliteUserStore(db);
    users.add(user({ admin: true }), 1);
    assert.throws(
      () => users.importMany([user({ username: "ok" }), user({ ha1Md5: "short" })], 2),
      /Cannot store user: invalid MD5 HA1/,
    );
    assert.equal(users.countUsers(), 1);
    const result = users.importMany(
      [user({ username: "new" }), user({ ha1Md5: "d".repeat(32) })],
      3,
      {
        keepAdmin: true,
      },
    );
    assert.deepEqual(result, { added: 1, updated: 1 });
    assert.deepEqual(
      users.findUser("bob", "office.test"),
      user({ admin: true, ha1Md5: "d".repeat(32) }),
    );
    assert.deepEqual(users.list().map((u) => u.username), ["bob", "new"]);
    db.close();
  });
});

describe("meta", () => {
  it("writeServerStatus() and readServerStatus() round-trip; a malformed value reads as null", () => {
    const db = openDatabase(":memory:");
    assert.equal(readServerStatus(db), null);
    const status: ServerStatus = {
      pid: 1,
      startedAtMs: 1000,
      updatedAtMs: 5000,
      listen: ["udp:127.0.0.1:5060"],
      counters: { received: 3, dropped: 0, retransmissions: 1, responses: { "2xx": 2 } },
      registersPerSecond: 0.5,
    };
    writeServerStatus(db, status);
    assert.deepEqual(readServerStatus(db), status);
    assert.equal(isServerRunning(status, 5000 + 14_999), true);
    assert.equal(isServerRunning(status, 5000 + 15_000), false);
    writeMeta(db, "server.status", "{not json");
    assert.equal(readServerStatus(db), null);
    assert.equal(readMeta(db, "server.status"), "{not json");
    assert.equal(readMeta(db, "nothing"), null);
    db.close();
  });
});

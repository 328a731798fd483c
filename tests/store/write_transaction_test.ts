// Tests for writeTransaction: commit, rollback on error, synchronous callbacks only.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openDatabase } from "../../src/store/open_database.ts";
import { writeTransaction } from "../../src/store/write_transaction.ts";

function metaKeys(db: ReturnType<typeof openDatabase>): string[] {
  return db.prepare("SELECT key FROM meta ORDER BY key").all().map((row) => String(row.key));
}

describe("writeTransaction()", () => {
  it("writeTransaction() commits and returns the callback's result", () => {
    const db = openDatabase(":memory:");
    const changes = writeTransaction(db, () => {
      assert.equal(db.isTransaction, true);
      return db.prepare("INSERT INTO meta (key, value) VALUES ('a', '1')").run().changes;
    });
    assert.equal(changes, 1);
    assert.equal(db.isTransaction, false);
    assert.deepEqual(metaKeys(db), ["a"]);
    db.close();
  });

  it("writeTransaction() rolls back and rethrows the callback's error", () => {
    const db = openDatabase(":memory:");
    const failure = new Error("boom");
    assert.throws(
      () =>
        writeTransaction(db, () => {
          db.exec("INSERT INTO meta (key, value) VALUES ('b', '2')");
          throw failure;
        }),
      (error: unknown) => error === failure,
    );
    assert.equal(db.isTransaction, false);
    assert.deepEqual(metaKeys(db), []);
    db.close();
  });

  it("writeTransaction() rolls back when a statement fails", () => {
    const db = openDatabase(":memory:");
    db.exec("INSERT INTO meta (key, value) VALUES ('dup', '0')");
    assert.throws(() =>
      writeTransaction(db, () => {
        db.exec("INSERT INTO meta (key, value) VALUES ('c', '3')");
        db.exec("INSERT INTO meta (key, value) VALUES ('dup', '1')");
      }), /UNIQUE constraint failed/);
    assert.deepEqual(metaKeys(db), ["dup"]);
    db.close();
  });

  it("writeTransaction() refuses a callback that returns a promise", () => {
    const db = openDatabase(":memory:");
    assert.throws(
      () =>
        writeTransaction(db, () => {
          db.exec("INSERT INTO meta (key, value) VALUES ('d', '4')");
          return Promise.resolve(1);
        }),
      {
        name: "TypeError",
        message: "Cannot run writeTransaction(): the callback returned a promise",
      },
    );
    assert.deepEqual(metaKeys(db), []);
    db.close();
  });
});

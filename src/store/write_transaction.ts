// writeTransaction: the one way to write to the location database outside the batched path.
import type { DatabaseSync } from "node:sqlite";

/**
 * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT` and returns its result; on any error rolls back and
 * rethrows. IMMEDIATE takes the write lock up front (waiting up to the connection's busy timeout),
 * so what `fn` reads cannot be changed by another process before it writes. `fn` must be
 * synchronous: a returned promise is refused and the transaction rolled back.
 *
 * @example
 * ```ts
 * const removed = writeTransaction(db, () =>
 *   db.prepare("DELETE FROM bindings WHERE aor = ?").run("sip:alice@example.com").changes
 * );
 * ```
 */
export function writeTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    if (typeof (result as { then?: unknown } | null)?.then === "function") {
      throw new TypeError("Cannot run writeTransaction(): the callback returned a promise");
    }
    db.exec("COMMIT");
    return result;
  } catch (error) {
    // A failed COMMIT may leave the transaction open; some errors roll it back themselves.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

// Schema migrations of the location database, versioned with PRAGMA user_version.
import type { DatabaseSync } from "node:sqlite";
import { DatabaseOpenError } from "./database_open_error.ts";

/**
 * The schema, one SQL script per version: `MIGRATIONS[0]` takes a new file to version 1, and so on.
 * Append only: a released script is never edited, because databases in the field already ran it.
 * Tables are STRICT so a wrongly typed value (a fractional CSeq, a string port) fails the write
 * instead of being stored silently.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE bindings (
    aor TEXT NOT NULL,
    id TEXT NOT NULL,
    contact TEXT NOT NULL,
    contact_uri TEXT NOT NULL,
    q REAL,
    call_id TEXT NOT NULL,
    cseq INTEGER NOT NULL,
    expires_seconds INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    registered_at_ms INTEGER NOT NULL,
    refreshed_at_ms INTEGER NOT NULL,
    source_address TEXT NOT NULL,
    source_port INTEGER NOT NULL,
    transport TEXT NOT NULL,
    user_agent TEXT,
    path TEXT,
    instance TEXT,
    reg_id INTEGER,
    PRIMARY KEY (aor, id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX bindings_expires_at_ms ON bindings (expires_at_ms);

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    aor TEXT NOT NULL,
    kind TEXT NOT NULL,
    binding_id TEXT,
    contact TEXT,
    source TEXT,
    detail TEXT
  ) STRICT;
  CREATE INDEX events_aor_seq ON events (aor, seq);

  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  `,
  // 2: digest credentials for `registrar user` (HA1 per realm, never the password).
  `
  CREATE TABLE users (
    realm TEXT NOT NULL,
    username TEXT NOT NULL,
    ha1_md5 TEXT NOT NULL,
    ha1_sha256 TEXT NOT NULL,
    admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (realm, username)
  ) STRICT, WITHOUT ROWID;
  `,
  // 3: brute-force bans, so they survive restarts and `registrar unban` reaches the server.
  `
  CREATE TABLE bans (
    address TEXT NOT NULL,
    username TEXT NOT NULL, -- '' bans the whole address
    until_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (address, username)
  ) STRICT, WITHOUT ROWID;
  `,
  // 4: the history without AUTOINCREMENT, which wrote its sqlite_sequence page at every commit
  // (one of ≈ 10 WAL frames of a commit of 6 new bindings), and indexed by aor alone: an index
  // entry ends in the rowid, which is seq, so (aor) orders as (aor, seq) did with one copy of it.
  // seq stays monotonic: SQLite gives a new row max(rowid) + 1, and pruning never deletes the
  // newest event (SqliteBindingStore). Rows keep their seq, and version 3's server never pruned
  // the newest event either (each AoR kept its newest), so numbering goes on where
  // AUTOINCREMENT left it and a follower's cursor stays valid. The columns repeat version 1's.
  `
  CREATE TABLE events_v4 (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    aor TEXT NOT NULL,
    kind TEXT NOT NULL,
    binding_id TEXT,
    contact TEXT,
    source TEXT,
    detail TEXT
  ) STRICT;
  INSERT INTO events_v4 (seq, at_ms, aor, kind, binding_id, contact, source, detail)
    SELECT seq, at_ms, aor, kind, binding_id, contact, source, detail FROM events;
  DROP TABLE events;
  ALTER TABLE events_v4 RENAME TO events;
  CREATE INDEX events_aor ON events (aor);
  `,
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** Reads PRAGMA user_version. */
export function readSchemaVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get();
  return Number(row?.user_version ?? 0);
}

/**
 * Brings the database up to `migrations.length`, all steps inside one `BEGIN IMMEDIATE`
 * transaction: a second process opening the same new file waits for the lock, then finds the work
 * done. Throws a `DatabaseOpenError` (and changes nothing) when the file's version is newer than
 * `migrations` knows or when a step fails.
 *
 * @example
 * ```ts
 * migrateDatabase(db, "data/registrar.db");
 * ```
 */
export function migrateDatabase(
  db: DatabaseSync,
  path: string,
  migrations: readonly string[] = MIGRATIONS,
): void {
  const target = migrations.length;
  // Fast path for the common case: already current, no write lock taken.
  if (checkVersion(readSchemaVersion(db), target, path) === target) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    // Re-read under the lock: another process may have migrated while we waited.
    const from = checkVersion(readSchemaVersion(db), target, path);
    for (let version = from; version < target; version++) {
      try {
        db.exec(migrations[version] ?? "");
      } catch (error) {
        throw new DatabaseOpenError(
          path,
          `cannot migrate to schema version ${version + 1}: ${messageOf(error)}`,
          { cause: error },
        );
      }
    }
    // PRAGMA takes no parameters; `target` is a small integer we computed.
    db.exec(`PRAGMA user_version = ${target}`);
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

function checkVersion(version: number, target: number, path: string): number {
  if (version > target) {
    throw new DatabaseOpenError(
      path,
      `schema version ${version} is newer than this registrar supports (${target}); ` +
        "upgrade the registrar",
    );
  }
  return version;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

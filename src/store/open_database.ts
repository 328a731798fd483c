// openDatabase and openDataDirectory: every connection gets the same PRAGMAs and migrations.
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { DatabaseOpenError } from "./database_open_error.ts";
import { migrateDatabase } from "./migrations.ts";

/** How long a connection waits for another process's write lock before failing, by default. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** The file name of the location database inside a data directory. */
export const DATABASE_FILE_NAME = "registrar.db";

/** Options of `openDatabase`. */
export interface OpenDatabaseOptions {
  /** How long to wait for a lock held by another connection (PRAGMA busy_timeout); default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the location database at `path`, or an in-memory one for
 * `":memory:"`, applies the PRAGMAs every connection must share and migrates the schema.
 *
 * - `journal_mode=WAL` (files): readers never block the writer, so the CLI can read while the
 *   server writes.
 * - `synchronous=FULL`: a committed transaction survives power loss (RFC 3261 §10.3 wants bindings
 *   committed before the 200 is sent).
 * - `busy_timeout`: wait for another process's write lock instead of failing at once.
 * - `foreign_keys=ON`.
 *
 * Throws a `DatabaseOpenError` with a one-line reason on any failure, including a file whose schema
 * is newer than this code knows.
 *
 * @example
 * ```ts
 * const db = openDatabase("data/registrar.db");
 * db.close();
 * ```
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): DatabaseSync {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(
      `Cannot open database "${path}": busyTimeoutMs must be a non-negative integer, got "${busyTimeoutMs}"`,
    );
  }
  return openDatabaseFile(path, busyTimeoutMs, (db) => {
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
    migrateDatabase(db, path);
  });
}

/**
 * Opens the SQLite file at `path` (or `":memory:"`) with `busy_timeout` and, for a file, WAL,
 * then lets `configure` set up the rest; any failure closes it and comes out as one
 * `DatabaseOpenError`. The location database and the history file (history_file.ts) share it.
 */
export function openDatabaseFile(
  path: string,
  busyTimeoutMs: number,
  configure: (db: DatabaseSync) => void,
): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (error) {
    throw new DatabaseOpenError(path, reasonOf(error, path), { cause: error });
  }
  try {
    // busy_timeout first, so that switching to WAL and migrating wait for a concurrent opener.
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    if (path !== ":memory:") {
      const mode = String(db.prepare("PRAGMA journal_mode = WAL").get()?.journal_mode ?? "");
      if (mode.toLowerCase() !== "wal") {
        throw new DatabaseOpenError(path, `cannot enable WAL journal mode (got "${mode}")`);
      }
    }
    configure(db);
    return db;
  } catch (error) {
    try {
      db.close();
    } catch {
      // Already failing; the first error is the one worth reporting.
    }
    if (error instanceof DatabaseOpenError) throw error;
    throw new DatabaseOpenError(path, reasonOf(error, path), { cause: error });
  }
}

/**
 * Opens `<dataDir>/registrar.db`, creating the directory if needed; `":memory:"` gives an
 * in-memory database (tests, throwaway runs). Failures come out as one `DatabaseOpenError`.
 *
 * @example
 * ```ts
 * const { db, path } = openDataDirectory("data");
 * console.log(`location database: ${path}`);
 * db.close();
 * ```
 */
export function openDataDirectory(
  dataDir: string,
  options: OpenDatabaseOptions = {},
): { db: DatabaseSync; path: string } {
  if (dataDir === ":memory:") return { db: openDatabase(":memory:", options), path: ":memory:" };
  const path = join(dataDir, DATABASE_FILE_NAME);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new DatabaseOpenError(path, reasonOf(error, path), { cause: error });
  }
  return { db: openDatabase(path, options), path };
}

const FS_REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  ENOTDIR: "a component of the path is not a directory",
  EEXIST: "a component of the path is not a directory",
  ENOENT: "no such file or directory",
  EISDIR: "the path is a directory",
};

/** Turns a file-system or SQLite error into a short reason an operator can act on. */
function reasonOf(error: unknown, path: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code in FS_REASONS) return FS_REASONS[code] ?? code;
  const message = error instanceof Error ? error.message : String(error);
  if (/unable to open database file|readonly database|disk I\/O error/i.test(message)) {
    return probePath(path) ?? message.replace(/: .*$/s, "");
  }
  if (/not a database/i.test(message)) return "the file is not an SQLite database";
  if (/database is locked|database is busy/i.test(message)) {
    return "the database is locked by another process";
  }
  return message;
}

/** Finds the file-system reason behind SQLite's vague "unable to open database file". */
function probePath(path: string): string | undefined {
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) return `"${dir}" is not a directory`;
  } catch {
    return `directory "${dir}" does not exist`;
  }
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    return "permission denied";
  }
  try {
    if (statSync(path).isDirectory()) return "the path is a directory";
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== "ENOENT") return "permission denied";
  }
  return undefined;
}

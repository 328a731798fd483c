// HistoryFile: the binding history in a file of its own, <dataDir>/history.db, on its own
// connection (the CLI's, and the server's history thread's).
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import type { BindingEvent, StoredBindingEvent } from "../registrar/binding.ts";
import { DatabaseOpenError } from "./database_open_error.ts";
import { EventLog, EVENTS_TABLE_SQL } from "./event_log.ts";
import type { HistorySink } from "./history_thread.ts";
import { openDatabaseFile } from "./open_database.ts";

export const HISTORY_FILE_NAME = "history.db";

/** Rows moved per statement by `moveEventsToHistory`. */
const MOVE_CHUNK = 10_000;

/**
 * The history has a file of its own so that the server can write it from another thread without
 * ever waiting for the location database's write lock, and a REGISTER's commit carries its
 * binding alone (bench/RESULTS.md, twenty-first sitting). Its durability is that of a WAL with
 * `synchronous=NORMAL`: every commit is atomic, and a power cut may lose the newest events, never
 * a binding. (Not an ATTACHed database: Deno's node:sqlite forbids ATTACH.)
 */
export function historyPathOf(dataDir: string): string {
  return join(dataDir, HISTORY_FILE_NAME);
}

/** Opens (creating) a history file: WAL, `synchronous=NORMAL`, the events table. */
export function openHistoryDatabase(path: string, busyTimeoutMs = 5000): DatabaseSync {
  return openDatabaseFile(path, busyTimeoutMs, (db) => {
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(EVENTS_TABLE_SQL);
  });
}

/**
 * A history file written on the caller's thread: `append` commits at once, then prunes the AoRs
 * it touched to `historyPerAor` events. The CLI's store writes through one; so does the server's
 * history thread.
 */
export class HistoryFile implements HistorySink {
  readonly path: string;
  readonly db: DatabaseSync;
  readonly #log: EventLog;
  readonly #historyPerAor: number;

  constructor(path: string, historyPerAor: number) {
    this.path = path;
    this.db = openHistoryDatabase(path);
    this.#log = new EventLog(this.db);
    this.#historyPerAor = historyPerAor;
  }

  append(events: readonly BindingEvent[]): void {
    if (events.length === 0) return;
    const db = this.db;
    db.exec("BEGIN IMMEDIATE");
    try {
      this.#log.append(events);
      this.#log.prune([...new Set(events.map((e) => e.aor))], this.#historyPerAor);
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }

  read(options: { aor?: string; afterSeq?: number; limit?: number } = {}): StoredBindingEvent[] {
    return this.#log.read(options);
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Moves into the history file the events that the location database's own `events` table still
 * holds (written by a version from before the history had its own file), oldest first. Into an
 * empty history they keep their seq, so a follower's cursor stays valid. The two files cannot
 * share a transaction: a crash between the copy and the delete copies those events again at the
 * next start (history only, never a binding).
 */
export function moveEventsToHistory(db: DatabaseSync, history: HistoryFile): number {
  if (db.prepare("SELECT 1 FROM events LIMIT 1").get() === undefined) return 0;
  const columns = "at_ms, aor, kind, binding_id, contact, source, detail";
  try {
    const keepSeq = history.db.prepare("SELECT 1 FROM events LIMIT 1").get() === undefined;
    const insert = history.db.prepare(
      keepSeq
        ? `INSERT INTO events (seq, ${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
        : `INSERT INTO events (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const select = db.prepare(
      `SELECT seq, ${columns} FROM events WHERE seq > ? ORDER BY seq LIMIT ${MOVE_CHUNK}`,
    );
    select.setReturnArrays(true);
    let moved = 0;
    history.db.exec("BEGIN IMMEDIATE");
    try {
      for (let after = -1;;) {
        const rows = select.all(after) as unknown as Array<Array<string | number | null>>;
        if (rows.length === 0) break;
        for (const row of rows) insert.run(...(keepSeq ? row : row.slice(1)));
        after = Number(rows[rows.length - 1]![0]);
        moved += rows.length;
      }
      history.db.exec("COMMIT");
    } catch (error) {
      if (history.db.isTransaction) history.db.exec("ROLLBACK");
      throw error;
    }
    db.exec("DELETE FROM events");
    return moved;
  } catch (error) {
    throw new DatabaseOpenError(history.path, `cannot move the history: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

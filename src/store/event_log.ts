// EventLog: the binding history's SQL (append, prune per AoR, read) on one connection.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { BindingEvent, StoredBindingEvent } from "../registrar/binding.ts";

/** Events kept per AoR by default; older ones are pruned as new ones arrive. */
export const DEFAULT_HISTORY_PER_AOR = 50;

/** AoRs whose history length one pruning statement checks. */
const PRUNE_CHUNK = 256;

/** The columns `rowToEvent` reads. */
export const EVENT_COLUMNS = "seq, at_ms, aor, kind, binding_id, contact, source, detail";

/**
 * The history's table, as schema version 4 of the location database made it (see
 * migrations.ts), now in its own file (history_file.ts): a rowid table whose seq never goes back,
 * indexed by aor alone (an index entry ends in the rowid, so it orders as (aor, seq)).
 */
export const EVENTS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    aor TEXT NOT NULL,
    kind TEXT NOT NULL,
    binding_id TEXT,
    contact TEXT,
    source TEXT,
    detail TEXT
  ) STRICT;
  CREATE INDEX IF NOT EXISTS events_aor ON events (aor);`;

type Row = Record<string, unknown>;

/** The statements of the binding history on one connection, prepared once. Writes run in the
 * caller's transaction. */
export class EventLog {
  readonly #insert: StatementSync;
  readonly #prune: StatementSync;
  readonly #selectOverHistory: StatementSync;
  readonly #selectEvents: StatementSync;
  readonly #selectAorEvents: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare(
      `INSERT INTO events (at_ms, aor, kind, binding_id, contact, source, detail) ` +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    // Deletes all but the newest `keep` events of one AoR, walking the (aor) index, whose entries
    // end in seq. Never the newest event of all: a new event's seq is one more than the largest
    // left, so keeping it keeps seq monotonic for `events --follow`.
    this.#prune = db.prepare(
      `DELETE FROM events WHERE aor = ?1 AND seq <= ` +
        `(SELECT seq FROM events WHERE aor = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2) ` +
        `AND seq < (SELECT max(seq) FROM events)`,
    );
    // Which of a JSON array of AoRs hold more than ?2 events: one statement for a whole chunk
    // (~0.3 µs per AoR) instead of a prune per AoR (~3 µs), most of which delete nothing.
    this.#selectOverHistory = db.prepare(
      `SELECT j.value AS aor FROM json_each(?1) AS j WHERE EXISTS ` +
        `(SELECT 1 FROM events WHERE aor = j.value ORDER BY seq DESC LIMIT 1 OFFSET ?2)`,
    );
    this.#selectEvents = db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    this.#selectAorEvents = db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE aor = ? AND seq > ? ` +
        "ORDER BY at_ms, seq LIMIT ?",
    );
  }

  append(events: readonly BindingEvent[]): void {
    for (const e of events) {
      this.#insert.run(e.atMs, e.aor, e.kind, e.bindingId, e.contact, e.source, e.detail);
    }
  }

  /** Prunes the histories of `aors` that hold more than `keep` events to their newest `keep`. */
  prune(aors: readonly string[], keep: number): void {
    for (let i = 0; i < aors.length; i += PRUNE_CHUNK) {
      const chunk = JSON.stringify(aors.slice(i, i + PRUNE_CHUNK));
      for (const row of this.#selectOverHistory.all(chunk, keep)) {
        this.#prune.run(String((row as Row).aor), keep);
      }
    }
  }

  /**
   * Events with seq > afterSeq (default 0), at most `limit`, in the order written (seq); one
   * AoR's in time order, then seq (see `LocationAdmin.events`).
   */
  read(options: { aor?: string; afterSeq?: number; limit?: number } = {}): StoredBindingEvent[] {
    const afterSeq = options.afterSeq ?? 0;
    const limit = options.limit ?? -1;
    const rows = options.aor === undefined
      ? this.#selectEvents.all(afterSeq, limit)
      : this.#selectAorEvents.all(options.aor, afterSeq, limit);
    return (rows as Row[]).map(rowToEvent);
  }
}

/** A row of `SELECT ${EVENT_COLUMNS}` as an event. */
export function rowToEvent(row: Row): StoredBindingEvent {
  return {
    seq: Number(row.seq),
    atMs: Number(row.at_ms),
    aor: String(row.aor),
    kind: row.kind as StoredBindingEvent["kind"],
    bindingId: row.binding_id as string | null,
    contact: row.contact as string | null,
    source: row.source as string | null,
    detail: row.detail as string | null,
  };
}

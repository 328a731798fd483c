// LocationAdmin: the admin CLI's one connection to the data directory — bindings, users, meta.
import type { Ban } from "../auth/ban_tracker.ts";
import { loadBans, removeBans } from "./ban_store.ts";
import type { DatabaseSync } from "node:sqlite";
import type { UserCredentials } from "../auth/user_directory.ts";
import type { Binding, StoredBindingEvent } from "../registrar/binding.ts";
import { readServerStatus } from "./meta.ts";
import type { ServerStatus } from "./meta.ts";
import { DEFAULT_HISTORY_PER_AOR, EVENT_COLUMNS, rowToEvent } from "./event_log.ts";
import { HistoryFile, historyPathOf, moveEventsToHistory } from "./history_file.ts";
import { openDataDirectory } from "./open_database.ts";
import { SqliteBindingStore } from "./sqlite_binding_store.ts";
import { SqliteUserStore } from "./sqlite_user_store.ts";
import type { UserImportResult } from "./sqlite_user_store.ts";
import { writeTransaction } from "./write_transaction.ts";

/** Totals shown by `registrar stats`. */
export interface LocationCounts {
  aors: number;
  bindings: number;
  /** Bindings whose expiry passed but that the sweeper has not purged yet. */
  expiredBindings: number;
  users: number;
  events: number;
}

/** Which events `LocationAdmin.events` returns. */
export interface EventQuery {
  /** Only events with a larger seq. */
  afterSeq?: number;
  /** Only this AoR. */
  aor?: string;
  /** Only AoRs starting with this text, e.g. "sip:bob@" for one user in every domain. */
  aorPrefix?: string;
  /** At most this many: the oldest ones after `afterSeq`, or the newest with `newest`. */
  limit?: number;
  /** With `limit`: keep the newest events (still returned oldest first). */
  newest?: boolean;
}

/**
 * One connection to `<dataDir>/registrar.db` for administration: the binding store (reads, and
 * writes through its `update`/`purgeExpired`, exactly as the server writes), the user store, and
 * a few queries of their own. Everything it writes is a single transaction, so a running server
 * sees the state before or after a CLI command, never in between.
 *
 * @example
 * ```ts
 * const admin = openLocationAdmin("data");
 * console.log(admin.counts(Date.now()));
 * admin.close();
 * ```
 */
export class LocationAdmin {
  /** The bindings and their history, shared with the server's code. */
  readonly store: SqliteBindingStore;
  /** Digest credentials. */
  readonly users: SqliteUserStore;
  readonly #db: DatabaseSync;
  /** The data directory's history file; null for an in-memory database, which holds its own. */
  readonly #history: HistoryFile | null;

  /** Wraps an open, migrated database and its history file; `close()` closes both. */
  constructor(db: DatabaseSync, history: HistoryFile | null = null) {
    this.#db = db;
    this.#history = history;
    this.store = new SqliteBindingStore(db, history === null ? {} : { history });
    this.users = new SqliteUserStore(db);
  }

  /** Active brute-force bans, oldest first. */
  bans(nowMs: number): Ban[] {
    return loadBans(this.#db, nowMs);
  }

  /** Lifts every ban of an address; the running server drops them at its next sweep. */
  unban(address: string): number {
    return removeBans(this.#db, address);
  }

  /** Every AoR that has a binding or a history, sorted. */
  aors(): string[] {
    const aors = new Set<string>();
    for (const db of [this.#db, this.#historyDb]) {
      const table = db === this.#db ? "bindings" : "events";
      for (const row of db.prepare(`SELECT DISTINCT aor FROM ${table}`).all()) {
        aors.add(String(row.aor));
      }
    }
    return [...aors].sort();
  }

  /** Totals for `stats`; `nowMs` decides which bindings count as expired. */
  counts(nowMs: number): LocationCounts {
    const one = (sql: string, ...params: number[]) =>
      Number(this.#db.prepare(sql).get(...params)?.n ?? 0);
    return {
      aors: one("SELECT count(DISTINCT aor) AS n FROM bindings WHERE expires_at_ms > ?", nowMs),
      bindings: one("SELECT count(*) AS n FROM bindings"),
      expiredBindings: one("SELECT count(*) AS n FROM bindings WHERE expires_at_ms <= ?", nowMs),
      users: one("SELECT count(*) AS n FROM users"),
      events: Number(this.#historyDb.prepare("SELECT count(*) AS n FROM events").get()?.n ?? 0),
    };
  }

  /**
   * Events filtered as `query` says, in the order they were written (seq); one AoR's (`aor`) in
   * time order, then seq. The server writes its events up to HISTORY_POST_MS after their commit
   * (history_thread.ts), so a CLI command's event (a kick) can be written before the server's
   * event that came first.
   */
  events(query: EventQuery = {}): StoredBindingEvent[] {
    const where = ["seq > ?"];
    const params: Array<string | number> = [query.afterSeq ?? 0];
    if (query.aor !== undefined) {
      where.push("aor = ?");
      params.push(query.aor);
    }
    if (query.aorPrefix !== undefined) {
      where.push("substr(aor, 1, ?) = ?");
      params.push(query.aorPrefix.length, query.aorPrefix);
    }
    const order = query.newest ? "DESC" : "ASC";
    params.push(query.limit ?? -1);
    const rows = this.#historyDb.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(" AND ")} ` +
        `ORDER BY ${query.aor === undefined ? "" : `at_ms ${order}, `}seq ${order} LIMIT ?`,
    ).all(...params);
    const events = rows.map(rowToEvent);
    return query.newest ? events.reverse() : events;
  }

  /**
   * Writes imported bindings (replacing any with the same aor and id) and users (replacing any
   * with the same realm and username) in one transaction: all or nothing.
   */
  importData(
    bindings: readonly Binding[],
    users: readonly UserCredentials[],
    nowMs: number,
  ): { bindings: number; users: UserImportResult } {
    return writeTransaction(this.#db, () => {
      this.store.writeBindings(bindings);
      return {
        bindings: bindings.length,
        users: this.users.importManyInTransaction(users, nowMs),
      };
    });
  }

  /** The running server's last heartbeat, or null. */
  serverStatus(): ServerStatus | null {
    return readServerStatus(this.#db);
  }

  /** `PRAGMA integrity_check`: "ok", or the problems found. */
  integrityCheck(): string {
    return this.#db.prepare("PRAGMA integrity_check").all().map((row) =>
      String(Object.values(row)[0])
    ).join("\n");
  }

  /** The connection that holds the history. */
  get #historyDb(): DatabaseSync {
    return this.#history?.db ?? this.#db;
  }

  /** Flushes queued writes and closes the connections. */
  close(): void {
    this.store.close();
    this.#db.close();
    this.#history?.close();
  }
}

/**
 * Opens `<dataDir>/registrar.db` (creating and migrating it if needed) for administration, and
 * the history file `<dataDir>/history.db` beside it. Throws a `DatabaseOpenError` with a
 * one-line reason when it cannot.
 */
export function openLocationAdmin(dataDir: string): LocationAdmin {
  const { db, path } = openDataDirectory(dataDir);
  try {
    if (path === ":memory:") return new LocationAdmin(db);
    const history = new HistoryFile(historyPathOf(dataDir), DEFAULT_HISTORY_PER_AOR);
    try {
      moveEventsToHistory(db, history);
      return new LocationAdmin(db, history);
    } catch (error) {
      history.close();
      throw error;
    }
  } catch (error) {
    db.close();
    throw error;
  }
}

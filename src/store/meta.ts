// The meta table: small key/value facts, such as the running server's heartbeat for `stats`.
import type { DatabaseSync } from "node:sqlite";

/** The meta key of the server heartbeat. */
export const SERVER_STATUS_KEY = "server.status";

/** A heartbeat older than this means the server is not running (it writes every few seconds). */
export const SERVER_STATUS_FRESH_MS = 15_000;

/** What the running `serve` process reports about itself, rewritten every few seconds. */
export interface ServerStatus {
  pid: number;
  startedAtMs: number;
  /** When this heartbeat was written. */
  updatedAtMs: number;
  /** Listen addresses as logged at start, e.g. "udp:0.0.0.0:5060". */
  listen: string[];
  /** Totals since start. */
  counters: {
    received: number;
    dropped: number;
    retransmissions: number;
    /** Responses sent by class: "2xx", "4xx", … */
    responses: Record<string, number>;
  };
  /** REGISTER requests per second over the last interval. */
  registersPerSecond: number;
}

/**
 * The text stored under `key`, or null when there is none.
 *
 * @example
 * ```ts
 * const raw = readMeta(db, "server.status");
 * ```
 */
export function readMeta(db: DatabaseSync, key: string): string | null {
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(key);
  return row === undefined ? null : String(row.value);
}

/**
 * Stores `value` under `key`, replacing any previous value. One statement, hence atomic; it waits
 * for another process's write lock up to the connection's busy timeout.
 *
 * @example
 * ```ts
 * writeMeta(db, "note", "hello");
 * ```
 */
export function writeMeta(db: DatabaseSync, key: string, value: string): void {
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
}

/** Writes the heartbeat (as JSON) under `SERVER_STATUS_KEY`. */
export function writeServerStatus(db: DatabaseSync, status: ServerStatus): void {
  writeMeta(db, SERVER_STATUS_KEY, JSON.stringify(status));
}

/**
 * The last heartbeat, or null when none was written or it cannot be read (a malformed value is
 * treated as absent: `stats` must not fail because of it).
 */
export function readServerStatus(db: DatabaseSync): ServerStatus | null {
  const raw = readMeta(db, SERVER_STATUS_KEY);
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  return isServerStatus(value) ? value : null;
}

/** True when `status` was written less than `SERVER_STATUS_FRESH_MS` before `nowMs`. */
export function isServerRunning(status: ServerStatus | null, nowMs: number): boolean {
  return status !== null && nowMs - status.updatedAtMs < SERVER_STATUS_FRESH_MS;
}

function isServerStatus(value: unknown): value is ServerStatus {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const counters = v.counters as Record<string, unknown> | undefined;
  return typeof v.pid === "number" && typeof v.startedAtMs === "number" &&
    typeof v.updatedAtMs === "number" && Array.isArray(v.listen) &&
    v.listen.every((l) => typeof l === "string") &&
    typeof counters === "object" && counters !== null &&
    typeof counters.received === "number" && typeof counters.dropped === "number" &&
    typeof counters.retransmissions === "number" &&
    typeof counters.responses === "object" && counters.responses !== null &&
    typeof v.registersPerSecond === "number";
}

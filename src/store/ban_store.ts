// Bans in the database, so they survive restarts and `registrar unban` reaches the running server.
import type { DatabaseSync } from "node:sqlite";
import type { Ban } from "../auth/ban_tracker.ts";

/** Active bans (untilMs > nowMs), oldest first. */
export function loadBans(db: DatabaseSync, nowMs: number): Ban[] {
  const rows = db.prepare(
    "SELECT address, username, until_ms, reason FROM bans WHERE until_ms > ? ORDER BY created_at_ms",
  ).all(nowMs);
  return rows.map((r) => ({
    address: String(r.address),
    username: r.username === "" ? null : String(r.username),
    untilMs: Number(r.until_ms),
    reason: String(r.reason),
  }));
}

/** Records (or extends) a ban. */
export function saveBan(db: DatabaseSync, ban: Ban, nowMs: number): void {
  db.prepare(
    `INSERT INTO bans (address, username, until_ms, reason, created_at_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (address, username) DO UPDATE SET until_ms = excluded.until_ms,
       reason = excluded.reason, created_at_ms = excluded.created_at_ms`,
  ).run(ban.address, ban.username ?? "", ban.untilMs, ban.reason, nowMs);
}

/** Lifts every ban of `address` (whole-address and per-username); returns how many. */
export function removeBans(db: DatabaseSync, address: string): number {
  return Number(db.prepare("DELETE FROM bans WHERE address = ?").run(address).changes);
}

/** Deletes bans that ran out; returns how many. */
export function purgeBans(db: DatabaseSync, nowMs: number): number {
  return Number(db.prepare("DELETE FROM bans WHERE until_ms <= ?").run(nowMs).changes);
}

// NonceCounts: the highest nonce-count seen per nonce, so a replayed response is refused.
import { detach } from "./detach.ts";

/**
 * Remembers, per nonce, the highest nc accepted (RFC 7616 §3.4: the server "SHOULD" detect replays
 * through nc). Bounded: past `maxEntries` the oldest nonces are forgotten, and every nonce issued
 * at or before the newest forgotten one is then treated as stale, so forgetting never reopens a
 * replay window.
 */
export class NonceCounts {
  readonly #seen = new Map<string, { nc: number; issuedAtMs: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  #forgottenUpToMs = -Infinity;

  constructor(maxEntries: number, ttlMs: number) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
  }

  /**
   * Accepts `nc` for `nonce` when it is higher than any seen before, recording it. A request
   * without qop carries no nc: pass 1, which makes such a nonce single-use.
   */
  accept(nonce: string, nc: number, issuedAtMs: number, nowMs: number): boolean {
    const entry = this.#seen.get(nonce);
    if (entry === undefined) {
      if (issuedAtMs <= this.#forgottenUpToMs) return false;
      this.#evict(nowMs);
      // Kept for the nonce's lifetime: detached from the request's text (see `detach`).
      this.#seen.set(detach(nonce), { nc, issuedAtMs });
      return true;
    }
    if (nc <= entry.nc) return false;
    entry.nc = nc;
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #evict(nowMs: number): void {
    for (const [nonce, entry] of this.#seen) {
      const expired = nowMs - entry.issuedAtMs > this.#ttlMs;
      if (!expired && this.#seen.size < this.#maxEntries) break;
      this.#seen.delete(nonce);
      if (!expired) this.#forgottenUpToMs = Math.max(this.#forgottenUpToMs, entry.issuedAtMs);
    }
  }
}

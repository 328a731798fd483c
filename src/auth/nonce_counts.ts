// NonceCounts: the highest nonce-count seen per nonce, so a replayed response is refused.

/** Ring capacity an empty table starts with (a power of two). */
const INITIAL_CAPACITY = 1024;
const TWO_32 = 2 ** 32;

/**
 * Remembers, per nonce, the highest nc accepted (RFC 7616 §3.4: the server "SHOULD" detect replays
 * through nc). Bounded: past `maxEntries` the oldest nonces are forgotten, and every nonce issued
 * at or before the newest forgotten one is then treated as stale, so forgetting never reopens a
 * replay window.
 *
 * Under load it holds up to `maxEntries` nonces for their whole lifetime, so an entry is kept
 * small: the Map goes from a 53-bit hash of the nonce to its nc (two numbers, no string and no
 * object per entry), and the hashes and issue times wait for eviction in rings, in insertion
 * order. A hash shared by two nonces can only refuse a count (the client is asked to retry with
 * a fresh nonce), never accept a replay; and only nonces that passed `NonceService.check` (our
 * MAC) reach this table, so nobody can choose them to collide. With an object and the nonce's
 * string per entry, 160,000 entries took ≈ 40 MB of the JS heap.
 */
export class NonceCounts {
  readonly #seen = new Map<number, number>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  #forgottenUpToMs = -Infinity;
  /** Hashes and issue times in insertion order: the oldest at `#head`, the next slot at `#tail`. */
  #hashes = new Float64Array(INITIAL_CAPACITY);
  #issuedAtMs = new Float64Array(INITIAL_CAPACITY);
  #head = 0;
  #tail = 0;

  constructor(maxEntries: number, ttlMs: number) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
  }

  /**
   * Accepts `nc` for `nonce` when it is higher than any seen before, recording it. A request
   * without qop carries no nc: pass 1, which makes such a nonce single-use.
   */
  accept(nonce: string, nc: number, issuedAtMs: number, nowMs: number): boolean {
    const hash = nonceHash(nonce);
    const seen = this.#seen.get(hash);
    if (seen === undefined) {
      if (issuedAtMs <= this.#forgottenUpToMs) return false;
      this.#evict(nowMs);
      this.#seen.set(hash, nc);
      this.#append(hash, issuedAtMs);
      return true;
    }
    if (nc <= seen) return false;
    this.#seen.set(hash, nc);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #evict(nowMs: number): void {
    const mask = this.#hashes.length - 1;
    while (this.#head < this.#tail) {
      const slot = this.#head & mask;
      const issuedAtMs = this.#issuedAtMs[slot]!;
      const expired = nowMs - issuedAtMs > this.#ttlMs;
      if (!expired && this.#seen.size < this.#maxEntries) break;
      this.#seen.delete(this.#hashes[slot]!);
      this.#head++;
      if (!expired) this.#forgottenUpToMs = Math.max(this.#forgottenUpToMs, issuedAtMs);
    }
  }

  #append(hash: number, issuedAtMs: number): void {
    if (this.#tail - this.#head === this.#hashes.length) this.#grow();
    const slot = this.#tail & (this.#hashes.length - 1);
    this.#hashes[slot] = hash;
    this.#issuedAtMs[slot] = issuedAtMs;
    this.#tail++;
  }

  /** Twice the capacity, the waiting entries copied in order to the front. */
  #grow(): void {
    const mask = this.#hashes.length - 1;
    const hashes = new Float64Array(2 * this.#hashes.length);
    const times = new Float64Array(2 * this.#hashes.length);
    const count = this.#tail - this.#head;
    for (let i = 0; i < count; i++) {
      const slot = (this.#head + i) & mask;
      hashes[i] = this.#hashes[slot]!;
      times[i] = this.#issuedAtMs[slot]!;
    }
    this.#hashes = hashes;
    this.#issuedAtMs = times;
    this.#head = 0;
    this.#tail = count;
  }
}

/** 53 bits of two 32-bit multiplicative hashes of the nonce's characters. */
function nonceHash(nonce: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < nonce.length; i++) {
    const c = nonce.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return (h2 & 0x1fffff) * TWO_32 + (h1 >>> 0);
}

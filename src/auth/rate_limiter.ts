// RateLimiter: a token bucket per source address, bounded in memory, for unauthenticated requests.

export interface RateLimit {
  /** Tokens added per second; 0 means no limit. */
  perSecond: number;
  /** Bucket size: the burst a source may send at once. */
  burst: number;
  /** Most sources tracked; the least recently seen are forgotten (they start with a full bucket). */
  maxTracked: number;
}

/**
 * Token buckets per address, so a flood from one address is cut off without starving others.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ perSecond: 20, burst: 40, maxTracked: 50_000 });
 * if (!limiter.take(remote.address, nowMs)) return; // dropped
 * ```
 */
export class RateLimiter {
  #limit: RateLimit;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(limit: RateLimit) {
    this.#limit = limit;
  }

  /** New rate and burst (SIGHUP); buckets refill at the new rate from now on. */
  setLimit(limit: RateLimit): void {
    this.#limit = limit;
  }

  /** Takes one token for `address`; false when its bucket is empty. */
  take(address: string, nowMs: number): boolean {
    const { perSecond, burst, maxTracked } = this.#limit;
    if (perSecond <= 0) return true;
    let bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      bucket = { tokens: burst, atMs: nowMs };
      if (this.#buckets.size >= maxTracked) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
    } else {
      this.#buckets.delete(address);
      bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * perSecond);
      bucket.atMs = nowMs;
    }
    this.#buckets.set(address, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.#buckets.size;
  }
}

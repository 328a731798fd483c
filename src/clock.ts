// Clock: the injected source of time; every expiry derives from one reading per request.

/** Milliseconds since the Unix epoch. Injected so tests control time without sleeping. */
export interface Clock {
  nowMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * A clock that moves only when told to, for tests.
 *
 * @example
 * ```ts
 * const clock = new FakeClock(1_700_000_000_000);
 * clock.advance(3600_000);
 * ```
 */
export class FakeClock implements Clock {
  #nowMs: number;
  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }
  nowMs(): number {
    return this.#nowMs;
  }
  advance(ms: number): void {
    this.#nowMs += ms;
  }
  set(ms: number): void {
    this.#nowMs = ms;
  }
}

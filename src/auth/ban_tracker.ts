// BanTracker: brute-force bans per (source, username) and per source, fair to offices behind NAT.
import { detach } from "./detach.ts";

/** One active ban. `username` null bans the whole source address. */
export interface Ban {
  address: string;
  username: string | null;
  untilMs: number;
  reason: string;
}

export interface BanPolicy {
  /** Failures of one username from one address within the window that ban that pair. */
  userFailures: number;
  /** Distinct usernames failing from one address within the window that ban the address. */
  sourceUsernames: number;
  /** Failures of any kind from one address within the window that ban the address. */
  sourceFailures: number;
  windowMs: number;
  banMs: number;
  /** Most addresses tracked at once (memory bound); the least recently failing are dropped. */
  maxTracked: number;
}

export const DEFAULT_BAN_POLICY: BanPolicy = {
  userFailures: 5,
  sourceUsernames: 10,
  sourceFailures: 50,
  windowMs: 10 * 60_000,
  banMs: 60 * 60_000,
  maxTracked: 50_000,
};

interface SourceState {
  windowStartMs: number;
  failures: number;
  /** username → failures in the window */
  users: Map<string, number>;
}

/**
 * Counts authentication failures and decides bans. One phone with a stale password bans only
 * itself (its username from that address); many usernames failing from one address
 * (enumeration, password spraying) or a flood of failures ban the address. Pure bookkeeping:
 * persistence is the caller's (it gets every new ban back from `recordFailure`).
 */
export class BanTracker {
  #policy: BanPolicy;
  readonly #sources = new Map<string, SourceState>();
  readonly #bans = new Map<string, Ban>();

  constructor(policy: BanPolicy = DEFAULT_BAN_POLICY) {
    this.#policy = policy;
  }

  get policy(): BanPolicy {
    return this.#policy;
  }

  /** New thresholds (SIGHUP); counts and active bans are kept. */
  setPolicy(policy: BanPolicy): void {
    this.#policy = policy;
  }

  /** True when no ban is active or pending expiry (the common case: nothing to look up). */
  get empty(): boolean {
    return this.#bans.size === 0;
  }

  /** The ban that applies to this address (and username, when known), or null. */
  banned(address: string, username: string | null, nowMs: number): Ban | null {
    if (this.#bans.size === 0) return null;
    const whole = this.#active(banKey(address, null), nowMs);
    if (whole) return whole;
    return username === null ? null : this.#active(banKey(address, username), nowMs);
  }

  /** Counts one failure; returns the ban it triggered, if any. */
  recordFailure(address: string, username: string | null, nowMs: number): Ban | null {
    const p = this.#policy;
    let state = this.#sources.get(address);
    if (state === undefined || nowMs - state.windowStartMs > p.windowMs) {
      state = { windowStartMs: nowMs, failures: 0, users: new Map() };
    }
    this.#sources.delete(address); // re-insert: the map stays in least-recent-first order
    this.#sources.set(address, state);
    while (this.#sources.size > p.maxTracked) {
      this.#sources.delete(this.#sources.keys().next().value!);
    }
    state.failures++;
    // Kept for the window or the ban: detached from the request's text (see `detach`).
    const user = username === null ? null : detach(username);
    const name = user ?? "";
    const userCount = (state.users.get(name) ?? 0) + 1;
    state.users.set(name, userCount); // at most sourceUsernames entries: the ban below resets
    if (state.users.size >= p.sourceUsernames) {
      return this.#ban(address, null, nowMs, `${state.users.size} usernames failed`);
    }
    if (state.failures >= p.sourceFailures) {
      return this.#ban(address, null, nowMs, `${state.failures} failures`);
    }
    if (userCount >= p.userFailures && user !== null) {
      return this.#ban(address, user, nowMs, `${userCount} failures for this user`);
    }
    return null;
  }

  /** A success clears that username's failures from that address. */
  recordSuccess(address: string, username: string): void {
    this.#sources.get(address)?.users.delete(username);
  }

  /** Failures so far of this username from this address (for 401 → 403 escalation). */
  failures(address: string, username: string | null, nowMs: number): number {
    const state = this.#sources.get(address);
    if (state === undefined || nowMs - state.windowStartMs > this.#policy.windowMs) return 0;
    return state.users.get(username ?? "") ?? 0;
  }

  /** Replaces the active bans (loading from storage, or after `registrar unban`). */
  load(bans: Ban[], nowMs: number): void {
    this.#bans.clear();
    for (const b of bans) if (b.untilMs > nowMs) this.#bans.set(banKey(b.address, b.username), b);
  }

  list(nowMs: number): Ban[] {
    return [...this.#bans.values()].filter((b) => b.untilMs > nowMs);
  }

  /** Lifts every ban of an address (and forgets its failures); returns how many. */
  unban(address: string): number {
    let n = 0;
    for (const [key, ban] of this.#bans) {
      if (ban.address === address) {
        this.#bans.delete(key);
        n++;
      }
    }
    this.#sources.delete(address);
    return n;
  }

  #active(key: string, nowMs: number): Ban | null {
    const ban = this.#bans.get(key);
    if (ban === undefined) return null;
    if (ban.untilMs <= nowMs) {
      this.#bans.delete(key);
      return null;
    }
    return ban;
  }

  #ban(address: string, username: string | null, nowMs: number, reason: string): Ban {
    const ban = { address, username, untilMs: nowMs + this.#policy.banMs, reason };
    this.#bans.set(banKey(address, username), ban);
    const state = this.#sources.get(address);
    if (state) {
      if (username === null) this.#sources.delete(address);
      else state.users.delete(username);
    }
    return ban;
  }
}

function banKey(address: string, username: string | null): string {
  return username === null ? address : `${address}\x00${username}`;
}

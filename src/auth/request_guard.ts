// RequestGuard: who may talk to the registrar at all — allowlist, bans, and a per-source rate limit.
import type { SipRequest } from "../sip/message.ts";
import { parseNameAddr } from "../sip/name_addr.ts";
import { parseSipUri } from "../sip/sip_uri.ts";
import type { BanTracker } from "./ban_tracker.ts";
import { cidrContains } from "./cidr.ts";
import type { Cidr } from "./cidr.ts";
import { parseCredentials } from "./credentials.ts";
import type { RateLimiter } from "./rate_limiter.ts";

/** Why a datagram or request was dropped without an answer. */
export type DropReason = "not-allowed" | "banned" | "rate-limited";

export interface RequestGuardOptions {
  /** `--allow` networks; empty admits every address. */
  allow: Cidr[];
  bans: BanTracker;
  /** Applied to requests that carry no credentials (challenges cost us; floods must not). */
  limiter: RateLimiter | null;
}

/** The username a request claims: the Authorization username, else the To URI's user. */
export function claimedUsername(request: SipRequest): string | null {
  for (const value of request.headers.getAll("Authorization")) {
    try {
      const username = parseCredentials(value).params.get("username");
      if (username) return username;
    } catch {
      // A malformed header is the authenticator's to answer (400); here it names nobody.
    }
  }
  try {
    return parseSipUri((request.to ?? parseNameAddr(request.headers.get("To") ?? "")).uri).user;
  } catch {
    return null;
  }
}

/**
 * Decides, before any SIP work, whether a source is heard at all. Banned and rate-limited
 * requests get no answer: an attacker learns nothing and spends our CPU on nothing.
 */
export class RequestGuard {
  #o: RequestGuardOptions;
  readonly dropped: Record<DropReason, number> = {
    "not-allowed": 0,
    "banned": 0,
    "rate-limited": 0,
  };

  constructor(options: RequestGuardOptions) {
    this.#o = options;
  }

  /** A new allowlist (SIGHUP). */
  setAllow(allow: Cidr[]): void {
    this.#o = { ...this.#o, allow };
  }

  /** `--allow`: checked on every datagram before it is parsed. */
  admitsAddress(address: string): boolean {
    const { allow } = this.#o;
    if (allow.length === 0 || allow.some((c) => cidrContains(c, address))) return true;
    this.dropped["not-allowed"]++;
    return false;
  }

  /** Bans (per address, or per address and claimed username) and the rate limit. */
  admitsRequest(request: SipRequest, address: string, nowMs: number): DropReason | null {
    const { bans } = this.#o;
    if (!bans.empty && bans.banned(address, claimedUsername(request), nowMs) !== null) {
      this.dropped.banned++;
      return "banned";
    }
    const { limiter } = this.#o;
    if (
      limiter !== null && !request.headers.has("Authorization") && !limiter.take(address, nowMs)
    ) {
      this.dropped["rate-limited"]++;
      return "rate-limited";
    }
    return null;
  }
}

// Expiry negotiation: which interval a contact asked for, and which one the registrar grants.

/** The registrar's expiry settings, in seconds. */
export interface ExpiryPolicy {
  minExpiresSeconds: number;
  defaultExpiresSeconds: number;
  maxExpiresSeconds: number;
}

/** What the negotiation decided for one contact. */
export type ExpiryDecision =
  | { kind: "remove" }
  | { kind: "grant"; seconds: number }
  | { kind: "too-brief"; minExpiresSeconds: number };

/**
 * The interval a contact asks for: its `expires` parameter, else the Expires header, else the
 * registrar's default (RFC 3261 §10.2.1.1, §10.3 step 7).
 */
export function requestedExpires(
  contactExpires: number | null,
  headerExpires: number | null,
  policy: ExpiryPolicy,
): number {
  return contactExpires ?? headerExpires ?? policy.defaultExpiresSeconds;
}

/**
 * Negotiates one contact's interval (RFC 3261 §10.3 step 7): zero removes; an interval greater
 * than zero, smaller than one hour and below the minimum is refused with 423 (only then MAY the
 * registrar refuse); anything longer than the maximum is shortened to it.
 *
 * @example
 * ```ts
 * negotiateExpiry(30, { minExpiresSeconds: 60, defaultExpiresSeconds: 3600, maxExpiresSeconds: 7200 });
 * // { kind: "too-brief", minExpiresSeconds: 60 }
 * ```
 */
export function negotiateExpiry(requestedSeconds: number, policy: ExpiryPolicy): ExpiryDecision {
  if (requestedSeconds === 0) return { kind: "remove" };
  if (requestedSeconds < policy.minExpiresSeconds && requestedSeconds < 3600) {
    return { kind: "too-brief", minExpiresSeconds: policy.minExpiresSeconds };
  }
  // §10.3: "The registrar MAY shorten the expiration interval"; it never lengthens a request.
  return { kind: "grant", seconds: Math.min(requestedSeconds, policy.maxExpiresSeconds) };
}

/**
 * Seconds left of a binding at `nowMs`, rounded up so a binding granted N seconds is reported as
 * N in the 200 that granted it (never shaved by a second) and never as 0 while still bound.
 */
export function remainingSeconds(expiresAtMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((expiresAtMs - nowMs) / 1000));
}

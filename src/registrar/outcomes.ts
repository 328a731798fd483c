// The registrar's outcome table: every way a REGISTER can end, as status, reason and RFC rule.

/** One row: what the phone is told, and which rule says so. */
export interface Outcome {
  status: number;
  reason: string;
  rule: string;
}

/**
 * Every registrar outcome, one row each (Kamailio's registrar keeps the same idea in one error
 * list). A test walks this table so no branch of the registrar lacks a row.
 */
export const OUTCOMES = {
  ok: { status: 200, reason: "OK", rule: "RFC 3261 §10.3 step 8" },
  domainNotServed: {
    status: 404,
    reason: "Domain not served here",
    rule: "RFC 3261 §10.3 step 1",
  },
  badExtension: { status: 420, reason: "Bad Extension", rule: "RFC 3261 §10.3 step 2, §8.2.2.3" },
  unauthorized: { status: 401, reason: "Unauthorized", rule: "RFC 3261 §10.3 step 3, §22.4" },
  badCredentials: {
    status: 400,
    reason: "Malformed Authorization header",
    rule: "RFC 3261 §22.4, RFC 7616 §3.4",
  },
  digestUriMismatch: {
    status: 400,
    reason: "Digest uri does not match Request-URI",
    rule: "RFC 7616 §3.4.6",
  },
  authFailedTooOften: {
    status: 403,
    reason: "Too many failed authentications",
    rule: "brute-force ban (RFC 3261 §22.4 leaves the policy to the server)",
  },
  thirdPartyForbidden: {
    status: 403,
    reason: "Not allowed to register this AoR",
    rule: "RFC 3261 §10.3 step 4",
  },
  aorNotSip: {
    status: 416,
    reason: "Unsupported URI Scheme",
    rule: "RFC 3261 §10.3 step 5, §8.2.2.1",
  },
  aorNotServed: { status: 404, reason: "Not Found", rule: "RFC 3261 §10.3 step 5" },
  wildcardNeedsExpiresZero: {
    status: 400,
    reason: "Wildcard Contact requires Expires: 0",
    rule: "RFC 3261 §10.3 step 6",
  },
  wildcardNotAlone: {
    status: 400,
    reason: "Wildcard Contact must be the only Contact",
    rule: "RFC 3261 §10.3 step 6",
  },
  intervalTooBrief: { status: 423, reason: "Interval Too Brief", rule: "RFC 3261 §10.3 step 7" },
  staleCSeq: {
    status: 400,
    reason: "CSeq not higher than the stored binding's",
    rule: "RFC 3261 §10.3 step 7",
  },
  tooManyContacts: {
    status: 503,
    reason: "Too many contacts for this AoR",
    rule: "--max-contacts-policy reject",
  },
  storeUnavailable: {
    status: 500,
    reason: "Location database unavailable",
    rule: "RFC 3261 §10.3 step 7 (commit before reply)",
  },
} as const satisfies Record<string, Outcome>;

export type OutcomeCode = keyof typeof OUTCOMES;

/**
 * Thrown inside the registrar's plan to end a REGISTER with one outcome; nothing is written.
 * `headers` carry what the row needs (Min-Expires for 423, Retry-After for 503, Unsupported for 420).
 */
export class RegistrarError extends Error {
  override name = "RegistrarError";
  readonly code: OutcomeCode;
  readonly headers: Array<[string, string]>;
  constructor(code: OutcomeCode, headers: Array<[string, string]> = [], detail?: string) {
    super(detail ?? OUTCOMES[code].reason);
    this.code = code;
    this.headers = headers;
  }
}

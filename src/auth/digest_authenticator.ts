// DigestAuthenticator: RFC 3261 §22.4 digest for REGISTER, with SHA-256 and MD5 (RFC 8760).
import { randomBytes } from "node:crypto";
import type { Logger } from "../log.ts";
import type {
  AuthDecision,
  AuthenticatedUser,
  RegisterAuthenticator,
} from "../registrar/registrar.ts";
import type { SipEndpoint, SipRequest } from "../sip/message.ts";
import { parseSipUri, sipUriEquals } from "../sip/sip_uri.ts";
import type { BanTracker } from "./ban_tracker.ts";
import type { Ban } from "./ban_tracker.ts";
import { equalHexText } from "./constant_time.ts";
import { CredentialsSyntaxError, parseCredentials } from "./credentials.ts";
import { computeHa1, digestResponse } from "./digest.ts";
import type { NonceCounts } from "./nonce_counts.ts";
import type { NonceService } from "./nonce.ts";
import type { DigestAlgorithm, UserDirectory } from "./user_directory.ts";

/** Offered in this order: RFC 8760 §2.4 says the preferred algorithm comes first. */
export const OFFERED_ALGORITHMS: readonly DigestAlgorithm[] = ["SHA-256", "MD5"];

/** A failed authentication, for the event history and fail2ban. */
export interface AuthFailure {
  source: SipEndpoint;
  username: string;
  realm: string;
  /** "unknown-user" and "wrong-password" are told apart only here, never on the wire. */
  reason: string;
  knownUser: boolean;
  ban: Ban | null;
}

export interface DigestAuthenticatorDeps {
  users: UserDirectory;
  /**
   * Challenges offered, in order (default OFFERED_ALGORITHMS). Old clients such as sipsak read
   * only the first challenge instead of the first they support (RFC 8760 §2.4): for them an
   * admin puts MD5 first.
   */
  algorithms?: readonly DigestAlgorithm[];
  nonces: NonceService;
  nonceCounts: NonceCounts;
  bans: BanTracker;
  logger: Logger;
  /** Called for every failure (the server records an "auth-failed" event for known users). */
  onFailure?: (failure: AuthFailure) => void;
}

function algorithmOf(text: string | undefined): DigestAlgorithm | null {
  if (text === undefined) return "MD5"; // RFC 7616 §3.3: absent means MD5
  const upper = text.toUpperCase();
  return upper === "MD5" ? "MD5" : upper === "SHA-256" ? "SHA-256" : null;
}

function uriMatches(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  try {
    return sipUriEquals(parseSipUri(digestUri), parseSipUri(requestUri));
  } catch {
    return false;
  }
}

/**
 * Checks the Authorization of a REGISTER. Unknown users are checked against a random HA1 so an
 * unknown user and a wrong password take the same path, the same time and the same answer
 * (no user enumeration). A correct digest over an expired nonce gets `stale=true` (RFC 7616 §3.3);
 * a replayed nonce-count is refused.
 */
export class DigestAuthenticator implements RegisterAuthenticator {
  #d: DigestAuthenticatorDeps;
  /** Stands in for the HA1 of users that do not exist. */
  readonly #decoyHa1 = {
    "MD5": randomBytes(16).toString("hex"),
    "SHA-256": randomBytes(32).toString("hex"),
  } as const;

  constructor(deps: DigestAuthenticatorDeps) {
    this.#d = deps;
  }

  /** New challenge order (SIGHUP). */
  setAlgorithms(algorithms: readonly DigestAlgorithm[]): void {
    this.#d = { ...this.#d, algorithms };
  }

  /** The 401's WWW-Authenticate headers: SHA-256 then MD5, qop auth, opaque, one nonce. */
  challenge(realm: string, nowMs: number, stale: boolean): Array<[string, string]> {
    const nonce = this.#d.nonces.issue(realm, nowMs);
    const opaque = this.#d.nonces.opaque(realm);
    return (this.#d.algorithms ?? OFFERED_ALGORITHMS).map((algorithm) => [
      "WWW-Authenticate",
      `Digest realm="${realm}", nonce="${nonce}", opaque="${opaque}", algorithm=${algorithm}, ` +
      `qop="auth"${stale ? ", stale=true" : ""}`,
    ]);
  }

  authenticate(
    request: SipRequest,
    realm: string,
    source: SipEndpoint,
    nowMs: number,
  ): AuthDecision {
    const unauthorized = (stale = false, stateless = false): AuthDecision => ({
      ok: false,
      code: "unauthorized",
      headers: this.challenge(realm, nowMs, stale),
      stateless,
    });
    // RFC 3261 §8.2.7: a request without credentials (for our realm, below too) is challenged
    // statelessly; one with credentials keeps its transaction, so a retransmission of a wrong
    // password is answered from it instead of counting as another failure.
    const values = request.headers.getAll("Authorization");
    if (values.length === 0) return unauthorized(false, true);

    // Pick the Digest credentials for our realm (§22.4: other realms belong to other servers).
    let params: Map<string, string> | null = null;
    try {
      for (const value of values) {
        const c = parseCredentials(value);
        if (c.scheme.toLowerCase() === "digest" && c.params.get("realm") === realm) {
          params = c.params;
          break;
        }
      }
    } catch (error) {
      if (error instanceof CredentialsSyntaxError) {
        return { ok: false, code: "badCredentials", headers: [] };
      }
      throw error;
    }
    if (params === null) return unauthorized(false, true);
    const username = params.get("username");
    const nonce = params.get("nonce");
    const uri = params.get("uri");
    const response = params.get("response");
    if (!username || !nonce || !uri || !response) {
      return { ok: false, code: "badCredentials", headers: [] };
    }
    const algorithm = algorithmOf(params.get("algorithm"));
    const qop = params.get("qop") ?? null;
    const ncText = params.get("nc") ?? null;
    const cnonce = params.get("cnonce") ?? null;
    if (algorithm === null) return unauthorized(); // e.g. MD5-sess: offer what we do support
    if (
      qop !== null &&
      (qop !== "auth" || ncText === null || !/^[0-9a-fA-F]{8}$/.test(ncText) || !cnonce)
    ) {
      return { ok: false, code: "badCredentials", headers: [] };
    }
    // §22.4 / RFC 7616 §3.4.6: the digest must be for this request's URI.
    if (!uriMatches(uri, request.requestUri)) {
      return { ok: false, code: "digestUriMismatch", headers: [] };
    }
    const nonceCheck = this.#d.nonces.check(nonce, realm, nowMs);
    const opaque = params.get("opaque");
    if (
      nonceCheck.kind === "invalid" ||
      (opaque !== undefined && opaque !== this.#d.nonces.opaque(realm))
    ) {
      return unauthorized(); // not a nonce of ours (or from before a secret change)
    }

    const user = this.#d.users.findUser(username, realm);
    const ha1 = user === null
      ? this.#decoyHa1[algorithm]
      : algorithm === "MD5"
      ? user.ha1Md5
      : user.ha1Sha256;
    const expected = digestResponse({
      algorithm,
      ha1,
      method: request.method,
      uri,
      nonce,
      qop,
      nc: ncText,
      cnonce,
    });
    if (user === null || !equalHexText(expected, response)) {
      return this.#fail(source, username, realm, user !== null, nowMs, unauthorized);
    }
    // The password was right: an old nonce or a reused nonce-count only needs a fresh nonce.
    if (nonceCheck.kind === "stale") return unauthorized(true);
    const nc = ncText === null ? 1 : parseInt(ncText, 16);
    if (!this.#d.nonceCounts.accept(nonce, nc, nonceCheck.issuedAtMs, nowMs)) {
      this.#d.logger.warn("auth replayed nonce-count", {
        source: source.address,
        port: source.port,
        user: username,
        nc: ncText ?? "none",
      });
      return unauthorized(true);
    }
    this.#d.bans.recordSuccess(source.address, username);
    const ok: AuthenticatedUser = { username, realm, admin: user.admin };
    return { ok: true, user: ok };
  }

  #fail(
    source: SipEndpoint,
    username: string,
    realm: string,
    knownUser: boolean,
    nowMs: number,
    unauthorized: () => AuthDecision,
  ): AuthDecision {
    const ban = this.#d.bans.recordFailure(source.address, username, nowMs);
    const reason = knownUser ? "wrong-password" : "unknown-user";
    // One stable line per failure, for fail2ban: "auth failed source=IP ... user=NAME".
    this.#d.logger.warn("auth failed", {
      source: source.address,
      port: source.port,
      user: username,
      realm,
      reason,
    });
    if (ban !== null) {
      this.#d.logger.warn("banned", {
        source: ban.address,
        user: ban.username ?? "*",
        until: new Date(ban.untilMs).toISOString(),
        reason: ban.reason,
      });
    }
    this.#d.onFailure?.({ source, username, realm, reason, knownUser, ban });
    // The request that triggers a ban gets 403 (its last answer); later ones are dropped unheard.
    return ban !== null ? { ok: false, code: "authFailedTooOften", headers: [] } : unauthorized();
  }
}

/** HA1 values of a new password for both algorithms (used by `registrar user add`). */
export function credentialsFor(username: string, realm: string, password: string) {
  return {
    ha1Md5: computeHa1("MD5", username, realm, password),
    ha1Sha256: computeHa1("SHA-256", username, realm, password),
  };
}

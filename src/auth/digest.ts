// Digest arithmetic of RFC 7616 / RFC 2617 as SIP uses it (RFC 3261 §22.4, RFC 8760).
import { hash } from "node:crypto";
import type { DigestAlgorithm } from "./user_directory.ts";

/**
 * H(data) in lower-case hex for the algorithm (RFC 7616 §3.2), over the UTF-8 bytes of `data`.
 * The one-shot `hash()` costs ≈ 3.6 k instructions under Bun where a `createHash` object costs
 * ≈ 4.7 k, and an authenticated REGISTER takes two.
 */
export function digestHash(algorithm: DigestAlgorithm, data: string): string {
  return hash(algorithm === "MD5" ? "md5" : "sha256", data, "hex");
}

/**
 * HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2). Stored instead of the password.
 *
 * @example
 * ```ts
 * computeHa1("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life");
 * // "939e7578ed9e3c518a452acee763bce9" (RFC 2617 §3.5)
 * ```
 */
export function computeHa1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/** The inputs of a digest response besides HA1. */
export interface DigestInput {
  algorithm: DigestAlgorithm;
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** "auth", or null for the RFC 2069 form old phones use. */
  qop: string | null;
  /** nonce-count as sent: 8 hex digits. */
  nc: string | null;
  cnonce: string | null;
}

/**
 * The expected `response` value: with qop=auth, H(HA1:nonce:nc:cnonce:qop:HA2); without qop,
 * H(HA1:nonce:HA2); HA2 = H(method:uri) (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1).
 */
export function digestResponse(input: DigestInput): string {
  const ha2 = digestHash(input.algorithm, `${input.method}:${input.uri}`);
  const data = input.qop === null
    ? `${input.ha1}:${input.nonce}:${ha2}`
    : `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`;
  return digestHash(input.algorithm, data);
}

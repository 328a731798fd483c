// Scalar header values: CSeq, Expires, Max-Forwards and option-tag lists (RFC 3261 §20).
import { isToken, isWsp, parseDigits, quote } from "./_grammar.ts";
import type { SipHeaders } from "./sip_headers.ts";
import { SipParseError } from "./sip_parse_error.ts";

/** The largest delta-seconds value; larger ones are taken as this (RFC 3261 §20.19, §25.1). */
export const MAX_DELTA_SECONDS = 4294967295;

// RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer and
// less than 2^31.
const MAX_CSEQ = 2147483647;

/**
 * Parses a CSeq value `1*DIGIT LWS Method` (RFC 3261 §20.16). The number must be below 2^31.
 *
 * @example
 * ```ts
 * parseCSeq("4711 REGISTER"); // { seq: 4711, method: "REGISTER" }
 * ```
 */
export function parseCSeq(value: string): { seq: number; method: string } {
  const s = value.trim();
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  const digits = s.slice(0, i);
  let j = i;
  while (j < s.length && isWsp(s.charCodeAt(j))) j++;
  const method = s.slice(j);
  const seq = parseDigits(digits);
  if (seq === null || j === i || !isToken(method)) {
    throw new SipParseError(`Cannot parse CSeq header ${quote(value)}: expected "number METHOD"`, {
      reasonPhrase: "Invalid CSeq header",
    });
  }
  if (seq > MAX_CSEQ) {
    throw new SipParseError(`CSeq number ${quote(digits)} is not below 2^31`, {
      reasonPhrase: "Invalid CSeq header",
    });
  }
  return { seq, method };
}

/**
 * Parses an Expires value as delta-seconds (RFC 3261 §20.19); values above 2^32-1 are taken as
 * 2^32-1 (RFC 4475 §3.1.2.4 suggests treating them as a large value rather than failing).
 *
 * @example
 * ```ts
 * parseExpires("3600"); // 3600
 * ```
 */
export function parseExpires(value: string): number {
  const n = parseDigits(value.trim());
  if (n === null) {
    throw new SipParseError(`Cannot parse Expires header ${quote(value)}: expected delta-seconds`, {
      reasonPhrase: "Invalid Expires header",
    });
  }
  return Math.min(n, MAX_DELTA_SECONDS);
}

/**
 * Parses a Max-Forwards value: an integer 0 to 255 (RFC 3261 §20.22).
 *
 * @example
 * ```ts
 * parseMaxForwards("70"); // 70
 * ```
 */
export function parseMaxForwards(value: string): number {
  const n = parseDigits(value.trim());
  if (n === null || n > 255) {
    throw new SipParseError(`Cannot parse Max-Forwards header ${quote(value)}: expected 0 to 255`, {
      reasonPhrase: "Invalid Max-Forwards header",
    });
  }
  return n;
}

/**
 * The option tags of every `name` field (Require, Proxy-Require, Supported, Unsupported; RFC 3261
 * §19.2), comma-split and lower-cased, in order. The compact form `k` is found for Supported.
 *
 * @example
 * ```ts
 * parseOptionTags(headers, "Supported"); // ["path", "outbound", "gruu"]
 * ```
 */
export function parseOptionTags(headers: SipHeaders, name: string): string[] {
  const tags: string[] = [];
  for (const tag of headers.list(name)) {
    if (!isToken(tag)) {
      throw new SipParseError(`Cannot parse ${name} header: ${quote(tag)} is not an option tag`, {
        reasonPhrase: `Invalid ${name} header`,
      });
    }
    tags.push(tag.toLowerCase());
  }
  return tags;
}

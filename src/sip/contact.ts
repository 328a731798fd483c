// Contact header elements of a REGISTER (RFC 3261 §10.2.1, §20.10; RFC 5626 §4.2 instance/reg-id).
import { parseDigits, quote } from "./_grammar.ts";
import { MAX_DELTA_SECONDS } from "./header_values.ts";
import { parseNameAddr } from "./name_addr.ts";
import type { SipHeaders } from "./sip_headers.ts";
import { SipParseError } from "./sip_parse_error.ts";
import { parseSipUri, type SipUri } from "./sip_uri.ts";

/** One Contact element, parsed. */
export interface ContactEntry {
  /** The element exactly as sent (after unfolding), trimmed. */
  text: string;
  displayName: string | null;
  /** The URI text as sent. */
  uriText: string;
  uri: SipUri;
  /** Header parameters, names lower-cased, quoted values unquoted. */
  params: Map<string, string | null>;
  /** `expires` parameter in seconds, clamped to 2^32-1, or null when absent. */
  expires: number | null;
  /** `q` parameter (0..1), or null when absent. */
  q: number | null;
  /** `+sip.instance` parameter, unquoted (e.g. `<urn:uuid:…>`), or null. */
  instance: string | null;
  /** `reg-id` parameter (RFC 5626), or null. */
  regId: number | null;
}

// RFC 3261 §20.10: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

function contactError(element: string, why: string, reasonPhrase: string): SipParseError {
  return new SipParseError(`Cannot parse Contact header ${quote(element)}: ${why}`, {
    reasonPhrase,
  });
}

/**
 * Parses one Contact element (not `*`).
 *
 * @example
 * ```ts
 * parseContact('<sip:alice@192.0.2.4:5060>;expires=3600;+sip.instance="<urn:uuid:1>";reg-id=1');
 * ```
 */
export function parseContact(element: string): ContactEntry {
  const text = element.trim();
  let nameAddr;
  try {
    nameAddr = parseNameAddr(text);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    throw contactError(text, e.message, "Invalid Contact header");
  }
  let uri: SipUri;
  try {
    uri = parseSipUri(nameAddr.uri);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    if (e.status === 416) throw e; // RFC 3261 §8.2.2.1: unsupported scheme
    throw contactError(text, e.message, "Invalid Contact header");
  }
  const { params } = nameAddr;

  let expires: number | null = null;
  if (params.has("expires")) {
    const n = parseDigits(params.get("expires") ?? "");
    if (n === null) {
      throw contactError(
        text,
        "expires must be delta-seconds",
        "Invalid expires parameter in Contact",
      );
    }
    expires = Math.min(n, MAX_DELTA_SECONDS);
  }

  let q: number | null = null;
  if (params.has("q")) {
    const raw = params.get("q") ?? "";
    if (!QVALUE.test(raw)) throw contactError(text, `bad q value ${quote(raw)}`, "Invalid q value");
    q = Number(raw);
  }

  let regId: number | null = null;
  if (params.has("reg-id")) {
    // RFC 5626 §4.2: reg-id = 1*DIGIT, from 1 to 2^31-1.
    const n = parseDigits(params.get("reg-id") ?? "");
    if (n === null || n < 1 || n > 2147483647) {
      throw contactError(text, "reg-id must be 1 to 2^31-1", "Invalid reg-id parameter in Contact");
    }
    regId = n;
  }

  return {
    text,
    displayName: nameAddr.displayName,
    uriText: nameAddr.uri,
    uri,
    params,
    expires,
    q,
    instance: params.get("+sip.instance") ?? null,
    regId,
  };
}

/**
 * Every Contact element across all Contact (and `m`) fields, comma-split (RFC 3261 §7.3.1).
 * `wildcard` is true when any element is `*` (RFC 3261 §10.2.2); such elements are left out of
 * `contacts`, so the registrar can reject `*` mixed with other contacts. Throws SipParseError:
 * 400 for a bad element, expires, q or reg-id; 416 for a non-SIP URI.
 *
 * @example
 * ```ts
 * const { wildcard, contacts } = parseContacts(request.headers);
 * ```
 */
export function parseContacts(
  headers: SipHeaders,
): { wildcard: boolean; contacts: ContactEntry[] } {
  let wildcard = false;
  const contacts: ContactEntry[] = [];
  for (const element of headers.list("Contact")) {
    if (element === "*") wildcard = true;
    else contacts.push(parseContact(element));
  }
  return { wildcard, contacts };
}

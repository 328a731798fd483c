// SIP and SIPS URIs (RFC 3261 §19.1): parse, format and compare.
import {
  digitsValue,
  ESCAPED_INVALID,
  ESCAPED_PLAIN,
  ESCAPED_WITH_ESCAPES,
  escapedRange,
  escapePercent,
  HNVCHAR,
  HOSTCHAR,
  isEscapedText,
  isHost,
  lowerName,
  PARAMCHAR,
  PASSWORD,
  quote,
  scan,
  unescapePercent,
  USER,
} from "./_grammar.ts";
import { SipParseError } from "./sip_parse_error.ts";

/**
 * A parsed SIP or SIPS URI. `user`, `password`, parameter and header values are percent-unescaped
 * so that escaped and unescaped spellings compare equal (RFC 3261 §19.1.4); `host` is lower-cased
 * (IPv6 references keep their brackets); parameter names are lower-cased.
 */
export interface SipUri {
  scheme: "sip" | "sips";
  user: string | null;
  password: string | null;
  host: string;
  port: number | null;
  /** uri-parameters in order; a parameter without `=` maps to null. */
  params: Map<string, string | null>;
  /** URI headers (`?name=value&...`), names as written. */
  headers: Map<string, string>;
}

function invalid(text: string, why: string): SipParseError {
  return new SipParseError(`Invalid SIP URI ${quote(text)}: ${why}`, {
    reasonPhrase: "Invalid SIP URI",
  });
}

/**
 * Parses a `sip:` or `sips:` URI (RFC 3261 §19.1.1, §25.1). The scheme is case-insensitive.
 * Throws a SipParseError with status 416 for any other well-formed scheme (RFC 3261 §8.2.2.1) and
 * status 400 for malformed text.
 *
 * @example
 * ```ts
 * parseSipUri("sip:%61lice@AtLanTa.com;transport=TCP"); // user "alice", host "atlanta.com"
 * ```
 */
export function parseSipUri(text: string): SipUri {
  const colon = text.indexOf(":");
  if (colon <= 0) throw invalid(text, "missing scheme");
  const scheme = sipScheme(text, colon);
  if (scheme === null) {
    // RFC 3261 §19.1.1 / RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    const other = text.slice(0, colon).toLowerCase();
    if (/^[a-z][a-z0-9+.-]*$/.test(other)) {
      throw new SipParseError(`Unsupported URI scheme ${quote(other)} in ${quote(text)}`, {
        status: 416,
        reasonPhrase: "Unsupported URI Scheme",
      });
    }
    throw invalid(text, "malformed scheme");
  }

  // Each part is checked in place and sliced once; only parts holding %HH escapes are unescaped.
  let i = colon + 1;
  let user: string | null = null;
  let password: string | null = null;
  // '@' cannot appear unescaped after the userinfo (§25.1), so the first one ends it.
  const at = text.indexOf("@", i);
  if (at !== -1) {
    let pw = text.indexOf(":", i);
    if (pw > at) pw = -1;
    const userEnd = pw === -1 ? at : pw;
    const userForm = escapedRange(text, i, userEnd, USER);
    if (userEnd === i || userForm === ESCAPED_INVALID) throw invalid(text, "bad user part");
    user = unescaped(text, i, userEnd, userForm);
    if (pw !== -1) {
      const passwordForm = escapedRange(text, pw + 1, at, PASSWORD);
      if (passwordForm === ESCAPED_INVALID) throw invalid(text, "bad password");
      password = unescaped(text, pw + 1, at, passwordForm);
    }
    i = at + 1;
  }

  let hostEnd: number;
  let host: string;
  if (text.charCodeAt(i) === 0x5b /* [ */) {
    const close = text.indexOf("]", i);
    if (close === -1) throw invalid(text, "unterminated IPv6 reference");
    hostEnd = close + 1;
    host = text.slice(i, hostEnd).toLowerCase();
    if (!isHost(host)) throw invalid(text, "bad host");
  } else {
    // HOSTCHAR only, by the scan; what isHost adds: not empty, no leading "." or "-", no "..".
    hostEnd = scan(text, i, HOSTCHAR);
    let upper = false;
    for (let k = i; k < hostEnd; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x2e && text.charCodeAt(k + 1) === 0x2e && k + 1 < hostEnd) {
        throw invalid(text, "bad host");
      }
      if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    const first = text.charCodeAt(i);
    if (hostEnd === i || first === 0x2e || first === 0x2d) throw invalid(text, "bad host");
    host = upper ? text.slice(i, hostEnd).toLowerCase() : text.slice(i, hostEnd);
  }
  i = hostEnd;

  let port: number | null = null;
  if (text.charCodeAt(i) === 0x3a /* : */) {
    let j = i + 1;
    while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
    if (j === i + 1 || j - i > 6) throw invalid(text, "bad port");
    port = digitsValue(text, i + 1, j);
    if (port > 65535) throw invalid(text, "bad port");
    i = j;
  }

  const params = new Map<string, string | null>();
  while (text.charCodeAt(i) === 0x3b /* ; */) {
    let j = i + 1;
    while (j < text.length && !isParamEnd(text.charCodeAt(j))) j++;
    let eq = text.indexOf("=", i + 1);
    if (eq > j) eq = -1;
    const nameEnd = eq === -1 ? j : eq;
    const nameForm = escapedRange(text, i + 1, nameEnd, PARAMCHAR);
    if (nameEnd === i + 1 || nameForm === ESCAPED_INVALID) throw invalid(text, "bad parameter");
    let value: string | null = null;
    if (eq !== -1) {
      const valueForm = escapedRange(text, eq + 1, j, PARAMCHAR);
      if (eq + 1 === j || valueForm === ESCAPED_INVALID) {
        throw invalid(text, "bad parameter value");
      }
      value = unescaped(text, eq + 1, j, valueForm);
    }
    const name = nameForm === ESCAPED_PLAIN
      ? lowerName(text, i + 1, nameEnd, URI_PARAM_NAMES)
      : unescapePercent(text.slice(i + 1, nameEnd)).toLowerCase();
    if (!params.has(name)) params.set(name, value);
    i = j;
  }

  const headers = new Map<string, string>();
  if (text.charCodeAt(i) === 0x3f /* ? */) {
    for (const header of text.slice(i + 1).split("&")) {
      const eq = header.indexOf("=");
      if (eq <= 0) throw invalid(text, "bad header");
      const rawName = header.slice(0, eq);
      const rawValue = header.slice(eq + 1);
      if (!isEscapedText(rawName, HNVCHAR) || !isEscapedText(rawValue, HNVCHAR)) {
        throw invalid(text, "bad header");
      }
      headers.set(unescapePercent(rawName), unescapePercent(rawValue));
    }
    i = text.length;
  }
  if (i !== text.length) throw invalid(text, `unexpected character at offset ${i}`);
  return { scheme, user, password, host, port, params, headers };
}

/** "sip" or "sips" when `text[0, colon)` is one of them in any case, else null. */
function sipScheme(text: string, colon: number): "sip" | "sips" | null {
  if (colon !== 3 && colon !== 4) return null;
  if (
    (text.charCodeAt(0) | 0x20) !== 0x73 /* s */ || (text.charCodeAt(1) | 0x20) !== 0x69 /* i */ ||
    (text.charCodeAt(2) | 0x20) !== 0x70 /* p */
  ) return null;
  if (colon === 3) return "sip";
  return (text.charCodeAt(3) | 0x20) === 0x73 ? "sips" : null;
}

/** `text[from, to)` with its %HH escapes resolved, as `escapedRange` found it to be. */
function unescaped(text: string, from: number, to: number, form: number): string {
  const raw = text.slice(from, to);
  return form === ESCAPED_WITH_ESCAPES ? unescapePercent(raw) : raw;
}

// uri-parameter names of RFC 3261 §19.1.1 that phones send, lower-case (see lowerName).
const URI_PARAM_NAMES = ["transport", "lr", "user", "maddr", "ttl", "method", "ob", "line"];

function isParamEnd(c: number): boolean {
  return c === 0x3b || c === 0x3f;
}

/**
 * Formats a SipUri, escaping what its components need (RFC 3261 §19.1.2); the result parses back
 * to an equal URI.
 *
 * @example
 * ```ts
 * formatSipUri(parseSipUri("sip:alice@example.com;lr")); // "sip:alice@example.com;lr"
 * ```
 */
export function formatSipUri(uri: SipUri): string {
  let out = uri.scheme + ":";
  if (uri.user !== null) {
    out += escapePercent(uri.user, USER);
    if (uri.password !== null) out += ":" + escapePercent(uri.password, PASSWORD);
    out += "@";
  }
  out += uri.host;
  if (uri.port !== null) out += ":" + uri.port;
  for (const [name, value] of uri.params) {
    out += ";" + escapePercent(name, PARAMCHAR);
    if (value !== null) out += "=" + escapePercent(value, PARAMCHAR);
  }
  let sep = "?";
  for (const [name, value] of uri.headers) {
    out += sep + escapePercent(name, HNVCHAR) + "=" + escapePercent(value, HNVCHAR);
    sep = "&";
  }
  return out;
}

// RFC 3261 §19.1.4: these parameters must be present in both URIs or in neither.
const MUST_MATCH_PARAMS = ["user", "ttl", "method", "maddr", "transport"];

/**
 * URI comparison per RFC 3261 §19.1.4: scheme must match; user and password compare
 * case-sensitively, host case-insensitively; a port, or a user, ttl, method, maddr or transport
 * parameter present in only one URI makes them differ; other parameters are compared only when
 * present in both; every header must be present in both and match. Escaped and unescaped
 * characters are equal (values are stored unescaped). Note that this relation is not transitive.
 *
 * @example
 * ```ts
 * sipUriEquals(parseSipUri("sip:bob@biloxi.com"), parseSipUri("sip:bob@biloxi.com:5060")); // false
 * ```
 */
export function sipUriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host !== b.host || a.port !== b.port) return false;
  for (const name of MUST_MATCH_PARAMS) {
    if (a.params.has(name) !== b.params.has(name)) return false;
  }
  for (const [name, value] of a.params) {
    if (!b.params.has(name)) continue;
    const other = b.params.get(name) ?? null;
    if (value === null || other === null) {
      if (value !== other) return false;
    } else if (value.toLowerCase() !== other.toLowerCase()) return false;
  }
  if (a.headers.size !== b.headers.size) return false;
  const bHeaders = new Map<string, string>();
  for (const [name, value] of b.headers) bHeaders.set(name.toLowerCase(), value);
  for (const [name, value] of a.headers) {
    const other = bHeaders.get(name.toLowerCase());
    // §19.1.4: components other than user, password, host and port compare case-insensitively.
    if (other === undefined || other.toLowerCase() !== value.toLowerCase()) return false;
  }
  return true;
}

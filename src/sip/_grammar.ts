// Private RFC 3261 §25.1 character classes and small scanners shared by the SIP parsers (and
// the Authorization parser of src/auth).

/** Builds a 128-entry membership table for ASCII characters. */
function charTable(chars: string, alphanum = true): Uint8Array {
  const table = new Uint8Array(128);
  if (alphanum) {
    for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
export const TOKEN = charTable("-.!%*_+`'~");
// RFC 3261 §25.1: unreserved = alphanum / mark; mark = - _ . ! ~ * ' ( )
const UNRESERVED_MARKS = "-_.!~*'()";
/** RFC 3261 §25.1 user: unreserved / escaped / user-unreserved (& = + $ , ; ? /). */
export const USER = charTable(UNRESERVED_MARKS + "&=+$,;?/");
/** RFC 3261 §25.1 password: unreserved / escaped / & = + $ , */
export const PASSWORD = charTable(UNRESERVED_MARKS + "&=+$,");
/** RFC 3261 §25.1 paramchar: param-unreserved ([ ] / : & + $) / unreserved / escaped. */
export const PARAMCHAR = charTable(UNRESERVED_MARKS + "[]/:&+$");
/** RFC 3261 §25.1 hname/hvalue: hnv-unreserved ([ ] / ? : + $) / unreserved / escaped. */
export const HNVCHAR = charTable(UNRESERVED_MARKS + "[]/?:+$");
/** Hostname characters; "_" is accepted leniently (seen in the wild, not in §25.1). */
export const HOSTCHAR = charTable("-._");
/** Unquoted generic-param value: token / host (IPv6 addresses included), RFC 3261 §25.1 gen-value. */
export const GENVALUE = charTable("-.!%*_+`'~:[]");
const HEX = charTable("abcdefABCDEF", false);
for (let c = 0x30; c <= 0x39; c++) HEX[c] = 1;

/** True when every character of `s` is in `table` (and `s` is not empty). */
export function allIn(s: string, table: Uint8Array): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] !== 1) return false;
  }
  return true;
}

/** RFC 3261 §25.1 token. */
export function isToken(s: string): boolean {
  return allIn(s, TOKEN);
}

/** True for SP and HTAB (WSP), the only whitespace left once a header value is unfolded. */
export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Index of the first non-WSP character at or after `i`. */
export function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the run of `table` characters starting at `i`. */
export function scan(s: string, i: number, table: Uint8Array): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] !== 1) break;
    i++;
  }
  return i;
}

/**
 * True when `s` consists of `table` characters and well-formed `%HH` escapes only
 * (RFC 3261 §25.1 escaped = "%" HEXDIG HEXDIG).
 */
export function isEscapedText(s: string, table: Uint8Array): boolean {
  return escapedRange(s, 0, s.length, table) !== ESCAPED_INVALID;
}

/** `escapedRange`: the text breaks the rule. */
export const ESCAPED_INVALID = -1;
/** `escapedRange`: the text is `table` characters only. */
export const ESCAPED_PLAIN = 0;
/** `escapedRange`: the text is valid and holds at least one `%HH` escape. */
export const ESCAPED_WITH_ESCAPES = 1;

/**
 * `isEscapedText` on `s[from, to)`, read in place, telling also whether any escape was seen (so
 * that plain text needs no `unescapePercent`).
 */
export function escapedRange(s: string, from: number, to: number, table: Uint8Array): number {
  let result = ESCAPED_PLAIN;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const h1 = i + 1 < to ? s.charCodeAt(i + 1) : -1;
      const h2 = i + 2 < to ? s.charCodeAt(i + 2) : -1;
      if (!(h1 >= 0 && h1 < 128 && HEX[h1] === 1 && h2 >= 0 && h2 < 128 && HEX[h2] === 1)) {
        return ESCAPED_INVALID;
      }
      result = ESCAPED_WITH_ESCAPES;
      i += 2;
    } else if (c >= 128 || table[c] !== 1) return ESCAPED_INVALID;
  }
  return result;
}

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/**
 * Replaces `%HH` escapes by the characters they encode (UTF-8), so that escaped and unescaped
 * forms compare equal (RFC 3261 §19.1.4). The input must already have passed `isEscapedText`.
 */
export function unescapePercent(s: string): string {
  if (s.indexOf("%") === -1) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 128) bytes.push(c);
    else for (const b of encoder.encode(s[i]!)) bytes.push(b);
  }
  return decoder.decode(new Uint8Array(bytes));
}

/** Percent-escapes every character of `s` outside `table` (UTF-8 bytes for non-ASCII). */
export function escapePercent(s: string, table: Uint8Array): string {
  let out = "";
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 128 && c !== 0x25 && table[c] === 1) out += ch;
    else {
      for (const b of encoder.encode(ch)) {
        out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
      }
    }
  }
  return out;
}

/**
 * Reads a quoted-string starting at the opening quote at `i` (RFC 3261 §25.1), resolving
 * quoted-pairs. Returns the unquoted text and the index after the closing quote, or null when the
 * string is not terminated.
 */
export function readQuoted(s: string, i: number): { value: string; end: number } | null {
  let value = "";
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c /* \ */) {
      if (j + 1 >= s.length) return null;
      value += s.slice(from, j);
      from = j + 1;
      j++;
    } else if (c === 0x22 /* " */) {
      return { value: value + s.slice(from, j), end: j + 1 };
    }
  }
  return null;
}

/**
 * Parses `*( SEMI generic-param )` from `i` to the end of `s` (RFC 3261 §25.1: SEMI and EQUAL
 * allow whitespace around them; gen-value = token / host / quoted-string). Names are lower-cased;
 * quoted values are unquoted; a name without `=` maps to null; the first occurrence of a name
 * wins. Returns null when the text does not match.
 */
export function parseGenericParams(s: string, i: number): Map<string, string | null> | null {
  const params = new Map<string, string | null>();
  for (;;) {
    i = skipWsp(s, i);
    if (i >= s.length) return params;
    if (s.charCodeAt(i) !== 0x3b /* ; */) return null;
    i = skipWsp(s, i + 1);
    const nameEnd = scan(s, i, TOKEN);
    if (nameEnd === i) return null;
    const name = lowerName(s, i, nameEnd, PARAM_NAMES);
    i = skipWsp(s, nameEnd);
    let value: string | null = null;
    if (s.charCodeAt(i) === 0x3d /* = */) {
      i = skipWsp(s, i + 1);
      if (s.charCodeAt(i) === 0x22) {
        const quoted = readQuoted(s, i);
        if (quoted === null) return null;
        value = quoted.value;
        i = quoted.end;
      } else {
        const valueEnd = scan(s, i, GENVALUE);
        if (valueEnd === i) return null;
        value = s.slice(i, valueEnd);
        i = valueEnd;
      }
    }
    if (!params.has(name)) params.set(name, value);
  }
}

/** `knownName`'s case rules: the names match exactly, or in any case (names written lower/upper). */
export const MATCH_EXACT = 0;
export const MATCH_ANY_CASE_LOWER = 1;
export const MATCH_ANY_CASE_UPPER = 2;

/**
 * The string of `names` that `s[from, to)` spells (exactly, or in any case when `rule` says in
 * which case `names` are written), else null. Parsers use it for the few names nearly every
 * message carries: a shared string, read in place, instead of a slice that would then be
 * lower-cased, resolved and hashed.
 */
export function knownName(
  s: string,
  from: number,
  to: number,
  names: readonly string[],
  rule: number,
): string | null {
  next: for (const name of names) {
    if (name.length !== to - from) continue;
    for (let k = 0; k < name.length; k++) {
      let c = s.charCodeAt(from + k);
      if (rule === MATCH_ANY_CASE_LOWER && c >= 0x41 && c <= 0x5a) c += 0x20;
      else if (rule === MATCH_ANY_CASE_UPPER && c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== name.charCodeAt(k)) continue next;
    }
    return name;
  }
  return null;
}

// Parameter names of Via, To, From and Contact, lower-case.
const PARAM_NAMES = [
  "branch",
  "rport",
  "received",
  "tag",
  "maddr",
  "ttl",
  "expires",
  "q",
  "reg-id",
];

/**
 * `s.slice(from, to).toLowerCase()`, as the shared string of `names` (written lower-case) when
 * it spells one of them in any case.
 */
export function lowerName(s: string, from: number, to: number, names: readonly string[]): string {
  return knownName(s, from, to, names, MATCH_ANY_CASE_LOWER) ?? s.slice(from, to).toLowerCase();
}

/** Formats a generic-param value: as is when it is a token or host, else as a quoted-string. */
export function formatGenericValue(value: string): string {
  if (allIn(value, GENVALUE)) return value;
  return '"' + value.replace(/["\\]/g, "\\$&") + '"';
}

/** Formats a parameter map as `;name[=value]...` (generic-param syntax). */
export function formatGenericParams(params: Map<string, string | null>): string {
  let out = "";
  for (const [name, value] of params) {
    out += value === null ? `;${name}` : `;${name}=${formatGenericValue(value)}`;
  }
  return out;
}

/** Quotes a value for an error message, shortened so that logs stay readable. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 120 ? s.slice(0, 120) + "…" : s);
}

/** Very small IPv6 reference check: "[" hex, ":" and "." characters "]" with at least one ":". */
export function isIpv6Reference(s: string): boolean {
  if (s.length < 4 || s.charCodeAt(0) !== 0x5b || s.charCodeAt(s.length - 1) !== 0x5d) return false;
  return isIpv6Address(s.slice(1, -1));
}

/** RFC 3261 §25.1 IPv6address, checked loosely: hex groups, "::" at most once, optional IPv4 tail. */
export function isIpv6Address(s: string): boolean {
  if (s.length < 2 || s.indexOf(":") === -1) return false;
  const doubleColon = s.indexOf("::");
  if (doubleColon !== -1 && s.indexOf("::", doubleColon + 1) !== -1) return false;
  const groups = s.split(":");
  let count = 0;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    if (group === "") continue;
    if (g === groups.length - 1 && group.indexOf(".") !== -1) {
      if (!isIpv4Address(group)) return false;
      count += 2;
      continue;
    }
    if (group.length > 4 || !allIn(group, HEX)) return false;
    count++;
  }
  return doubleColon === -1 ? count === 8 : count < 8;
}

/** RFC 3261 §25.1 IPv4address: four decimal octets. */
export function isIpv4Address(s: string): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return false;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    if (Number(p) > 255) return false;
  }
  return true;
}

/** RFC 3261 §25.1 host: hostname / IPv4address / IPv6reference (hostname checked leniently). */
export function isHost(s: string): boolean {
  if (s.charCodeAt(0) === 0x5b) return isIpv6Reference(s);
  if (!allIn(s, HOSTCHAR)) return false;
  const first = s.charCodeAt(0);
  return first !== 0x2e && first !== 0x2d && s.indexOf("..") === -1;
}

/** The value of the decimal digits `s[from, to)`, which the caller has checked are digits. */
export function digitsValue(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 0x30);
  return n;
}

/** Parses 1*DIGIT; returns null for anything else. Values above 2^53 lose precision. */
export function parseDigits(s: string): number | null {
  if (s.length === 0) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    n = n * 10 + (c - 0x30); // no Number(s): that resolves the substring and parses a double
  }
  return n;
}

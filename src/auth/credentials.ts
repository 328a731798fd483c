// Parses Authorization header values: `Digest username="bob", realm="office", ...` (RFC 3261 §25.1).
import { lowerName, TOKEN } from "../sip/_grammar.ts";

/** One credentials header, its scheme and auth-params (names lower-cased, values unquoted). */
export interface Credentials {
  scheme: string;
  params: Map<string, string>;
}

/** Thrown for an Authorization value that does not follow the grammar. */
export class CredentialsSyntaxError extends SyntaxError {
  override name = "CredentialsSyntaxError";
}

/**
 * Parses `scheme param=value, param="quoted", ...`. Quoted values may contain commas and escaped
 * characters (RFC 3261 §25.1 quoted-pair).
 *
 * @example
 * ```ts
 * parseCredentials('Digest username="bob", nc=00000001').params.get("nc"); // "00000001"
 * ```
 */
export function parseCredentials(value: string): Credentials {
  const text = value.trim();
  const space = firstWhitespace(text);
  if (space <= 0) {
    throw new CredentialsSyntaxError(`Cannot parse credentials "${value}": no parameters`);
  }
  const fail = (why: string) =>
    new CredentialsSyntaxError(`Cannot parse credentials "${value}": ${why}`);
  const scheme = text.slice(0, space);
  const params = new Map<string, string>();
  const n = text.length;
  let i = space;
  while (i < n) {
    while (i < n && isSeparator(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const eq = text.indexOf("=", i);
    if (eq === -1) throw fail("expected name=value");
    const name = paramName(text, i, eq);
    if (name === null) throw fail("bad parameter name");
    i = eq + 1;
    while (i < n && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
    let v: string;
    if (text.charCodeAt(i) === 0x22 /* " */) {
      // quoted-string: copy runs between escapes as slices (RFC 3261 §25.1 quoted-pair).
      i++;
      v = "";
      let run = i;
      for (;;) {
        if (i >= n) throw fail("unterminated quote");
        const c = text.charCodeAt(i);
        if (c === 0x22) break;
        if (c === 0x5c /* \ */ && i + 1 < n) {
          v += text.slice(run, i) + text[i + 1];
          i += 2;
          run = i;
        } else i++;
      }
      v += text.slice(run, i);
      i++;
    } else {
      const end = text.indexOf(",", i);
      v = (end === -1 ? text.slice(i) : text.slice(i, end)).trim();
      i = end === -1 ? n : end;
    }
    if (params.has(name)) throw fail(`"${name}" repeated`);
    params.set(name, v);
  }
  return { scheme, params };
}

const TOKEN_TEXT = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
// The digest parameters of RFC 3261 §25.1 and RFC 7616, lower-case.
const DIGEST_PARAMS = [
  "username",
  "realm",
  "nonce",
  "uri",
  "response",
  "algorithm",
  "cnonce",
  "opaque",
  "qop",
  "nc",
];

/** Index of the first whitespace character (as /\s/ finds it), or -1. */
function firstWhitespace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return i;
    if (c >= 0x80) return text.search(/\s/); // Unicode spaces count too
  }
  return -1;
}

/**
 * The lower-cased auth-param name in `text[from, to)` with the whitespace around it left out, or
 * null when it is not a token. A digest parameter comes back as the shared string above, read in
 * place: an Authorization header carries ten of them on every authenticated REGISTER.
 */
function paramName(text: string, from: number, to: number): string | null {
  let start = from;
  let end = to;
  while (start < end && isLineSpace(text.charCodeAt(start))) start++;
  while (end > start && isLineSpace(text.charCodeAt(end - 1))) end--;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x80 || TOKEN[c] !== 1) {
      // Not plain ASCII: the general rule (trim() knows every Unicode space).
      const name = text.slice(from, to).trim().toLowerCase();
      return TOKEN_TEXT.test(name) ? name : null;
    }
  }
  if (start === end) return null;
  return lowerName(text, start, end, DIGEST_PARAMS);
}

/** SP, HTAB, CR or LF. */
function isLineSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Whitespace or the comma between auth-params. */
function isSeparator(c: number): boolean {
  return c === 0x2c || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

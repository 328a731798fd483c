// name-addr / addr-spec values of To, From and Contact (RFC 3261 §20.10, §25.1) and their tags.
import { parseGenericParams, quote, readQuoted, skipWsp } from "./_grammar.ts";
import { SipParseError } from "./sip_parse_error.ts";

/**
 * One `[display-name] <uri> *(;param)` or `addr-spec *(;param)` value. `uri` is the URI text as
 * sent (not parsed: it may be any scheme); `params` are the header parameters after it, names
 * lower-cased, quoted values unquoted, `null` for a parameter without `=`.
 */
export interface NameAddr {
  displayName: string | null;
  uri: string;
  params: Map<string, string | null>;
}

function invalid(text: string, why: string): SipParseError {
  return new SipParseError(`Cannot parse address ${quote(text)}: ${why}`, {
    reasonPhrase: "Invalid address",
  });
}

// RFC 3986 §3.1 scheme followed by ":" and at least one character.
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"]+$/;

/**
 * Parses a To, From or Contact value (RFC 3261 §20.10). With angle brackets, parameters after `>`
 * are header parameters; without them (addr-spec form), everything after the first `;` is a header
 * parameter, never a URI parameter. Quoted display names are unescaped; unquoted ones are trimmed
 * and accepted leniently (any text without quotes or controls).
 *
 * @example
 * ```ts
 * parseNameAddr('"Alice \\"A\\"" <sip:alice@example.com>;tag=1928');
 * // { displayName: 'Alice "A"', uri: "sip:alice@example.com", params: Map { "tag" => "1928" } }
 * ```
 */
export function parseNameAddr(text: string): NameAddr {
  let i = skipWsp(text, 0);
  let displayName: string | null = null;
  let uri: string;
  let paramsStart: number;

  let lt = -1;
  if (text.charCodeAt(i) === 0x22 /* " */) {
    const q = readQuoted(text, i);
    if (q === null) throw invalid(text, "unterminated quoted display name");
    displayName = q.value;
    i = skipWsp(text, q.end);
    if (text.charCodeAt(i) !== 0x3c /* < */) throw invalid(text, "expected '<' after display name");
    lt = i;
  } else {
    // Name-addr if a '<' comes before any ';' or '"'; otherwise addr-spec.
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x3c) {
        lt = j;
        break;
      }
      if (c === 0x3b /* ; */) break;
      if (c === 0x22) throw invalid(text, "unexpected quote");
    }
    if (lt !== -1) {
      const name = text.slice(i, lt).trim();
      // RFC 3261 §25.1 display-name = *(token LWS) / quoted-string; accepted leniently here.
      // deno-lint-ignore no-control-regex
      if (/[\x00-\x1f\x7f>]/.test(name)) throw invalid(text, "bad display name");
      displayName = name === "" ? null : name;
    }
  }

  if (lt !== -1) {
    const gt = text.indexOf(">", lt + 1);
    if (gt === -1) throw invalid(text, "missing '>'");
    uri = text.slice(lt + 1, gt);
    paramsStart = gt + 1;
  } else {
    let end = text.indexOf(";", i);
    if (end === -1) end = text.length;
    uri = text.slice(i, end).trimEnd();
    // RFC 3261 §20: a URI with a comma, question mark or semicolon needs angle brackets.
    if (uri.indexOf(",") !== -1 || uri.indexOf("?") !== -1) {
      throw invalid(text, "URI with ',' or '?' must be enclosed in angle brackets");
    }
    paramsStart = end;
  }
  if (!ABSOLUTE_URI.test(uri)) throw invalid(text, `bad URI ${quote(uri)}`);
  const params = parseGenericParams(text, paramsStart);
  if (params === null) throw invalid(text, "bad parameters");
  return { displayName, uri, params };
}

/**
 * The `tag` parameter of a To or From value (RFC 3261 §19.3), or null when there is none or the
 * value does not parse. Never throws.
 *
 * @example
 * ```ts
 * tagOf("<sip:bob@example.com>;tag=a6c85cf"); // "a6c85cf"
 * ```
 */
export function tagOf(value: string): string | null {
  // Fast path: no ";tag" anywhere means no tag (case-insensitive search on a short string).
  if (value.toLowerCase().indexOf("tag") === -1) return null;
  try {
    return parseNameAddr(value).params.get("tag") ?? null;
  } catch {
    return null;
  }
}

// Via header values (RFC 3261 §20.42, §18.2.1; RFC 3581 rport): parse and format.
import {
  digitsValue,
  formatGenericParams,
  HOSTCHAR,
  isHost,
  isIpv4Address,
  isIpv6Address,
  knownName,
  MATCH_ANY_CASE_UPPER,
  parseDigits,
  parseGenericParams,
  quote,
  scan,
  skipWsp,
  TOKEN,
} from "./_grammar.ts";
import type { SipHeaders } from "./sip_headers.ts";
import { SipParseError } from "./sip_parse_error.ts";

/** One Via element. `params` holds every via-param (names lower-cased, values unquoted). */
export interface Via {
  /** Protocol name and version, upper case: "SIP/2.0". */
  protocol: string;
  /** Transport, upper case: "UDP", "TCP", "TLS"… */
  transport: string;
  /** sent-by host as written; IPv6 references keep their brackets. */
  host: string;
  port: number | null;
  params: Map<string, string | null>;
  branch: string | null;
  received: string | null;
  /** RFC 3581: a number, `true` when present without a value, null when absent. */
  rport: number | null | true;
}

function invalid(element: string, why: string): SipParseError {
  return new SipParseError(`Cannot parse Via header ${quote(element)}: ${why}`, {
    reasonPhrase: "Invalid Via header",
  });
}

/**
 * Parses one Via element: `sent-protocol LWS sent-by *( SEMI via-params )` (RFC 3261 §20.42,
 * §25.1). Whitespace is allowed around "/", ":", ";" and "=" as SWS permits.
 *
 * @example
 * ```ts
 * parseVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport");
 * // { transport: "UDP", host: "192.0.2.1", port: 5060, branch: "z9hG4bK776", rport: true, … }
 * ```
 */
export function parseVia(element: string): Via {
  const s = element;
  let i = skipWsp(s, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 0x2f /* / */) throw invalid(element, "bad sent-protocol");
      i = skipWsp(s, i + 1);
    }
    const end = scan(s, i, TOKEN);
    if (end === i) throw invalid(element, "bad sent-protocol");
    parts.push(upperToken(s, i, end));
    i = skipWsp(s, end);
  }
  const protocol = parts[0] === "SIP" && parts[1] === "2.0" ? "SIP/2.0" : `${parts[0]}/${parts[1]}`;
  const transport = parts[2]!;

  let hostEnd: number;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf("]", i);
    if (close === -1) throw invalid(element, "unterminated IPv6 reference");
    hostEnd = close + 1;
  } else hostEnd = scan(s, i, HOSTCHAR);
  const host = s.slice(i, hostEnd);
  if (!isHost(host)) throw invalid(element, "missing or bad sent-by host");
  i = skipWsp(s, hostEnd);

  let port: number | null = null;
  if (s.charCodeAt(i) === 0x3a /* : */) {
    i = skipWsp(s, i + 1);
    let j = i;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    port = j === i || j - i > 5 ? null : digitsValue(s, i, j);
    if (port === null || port > 65535) throw invalid(element, "bad sent-by port");
    i = j;
  }

  const params = parseGenericParams(s, i);
  if (params === null) throw invalid(element, "bad parameters");

  let branch: string | null = null;
  if (params.has("branch")) {
    branch = params.get("branch") ?? null;
    if (branch === null) throw invalid(element, "branch without a value");
  }
  let received: string | null = null;
  if (params.has("received")) {
    // RFC 3261 §20.42 via-received = "received" EQUAL (IPv4address / IPv6address)
    received = params.get("received") ?? null;
    if (received === null || !(isIpv4Address(received) || isIpv6Address(received))) {
      throw invalid(element, "received must be an IP address");
    }
  }
  let rport: number | null | true = null;
  if (params.has("rport")) {
    // RFC 3581 §3: response-port = "rport" [EQUAL 1*DIGIT]
    const value = params.get("rport") ?? null;
    if (value === null) rport = true;
    else {
      const n = parseDigits(value);
      if (n === null || n > 65535) throw invalid(element, "bad rport");
      rport = n;
    }
  }
  return { protocol, transport, host, port, params, branch, received, rport };
}

// The sent-protocol tokens nearly every Via carries, upper-case (see upperToken).
const PROTOCOL_TOKENS = ["SIP", "2.0", "UDP", "TCP", "TLS", "WS", "WSS", "SCTP"];

/** `s.slice(from, to).toUpperCase()`, as a shared string for the tokens above in any case. */
function upperToken(s: string, from: number, to: number): string {
  return knownName(s, from, to, PROTOCOL_TOKENS, MATCH_ANY_CASE_UPPER) ??
    s.slice(from, to).toUpperCase();
}

/**
 * Every Via element of a message, top first, across all Via (and `v`) fields.
 *
 * @example
 * ```ts
 * const [top] = parseViaList(request.headers);
 * ```
 */
export function parseViaList(headers: SipHeaders): Via[] {
  return headers.list("Via").map(parseVia);
}

/**
 * Formats a Via element. `branch`, `received` and `rport` come from the fields of the same name
 * (taking their place among `params` when present there, appended otherwise); every other
 * parameter comes from `params` in order.
 *
 * @example
 * ```ts
 * formatVia(parseVia("SIP/2.0/UDP h;branch=z9hG4bK1")); // "SIP/2.0/UDP h;branch=z9hG4bK1"
 * ```
 */
export function formatVia(via: Via): string {
  let out = `${via.protocol}/${via.transport} ${via.host}`;
  if (via.port !== null) out += `:${via.port}`;
  const special = new Map<string, string | null>();
  if (via.branch !== null) special.set("branch", via.branch);
  if (via.rport !== null) special.set("rport", via.rport === true ? null : String(via.rport));
  if (via.received !== null) special.set("received", via.received);
  const params = new Map<string, string | null>();
  for (const [name, value] of via.params) {
    if (name === "branch" || name === "received" || name === "rport") {
      if (special.has(name)) params.set(name, special.get(name) ?? null);
    } else params.set(name, value);
  }
  for (const [name, value] of special) if (!params.has(name)) params.set(name, value);
  return out + formatGenericParams(params);
}

// parseMessage: the bytes of one datagram → a SipRequest or SipResponse (RFC 3261 §7, §18.3, §25).
import { isToken, isWsp, parseDigits, quote, scan, skipWsp, TOKEN } from "./_grammar.ts";
import { parseCSeq } from "./header_values.ts";
import type { SipMessage } from "./message.ts";
import { type NameAddr, parseNameAddr } from "./name_addr.ts";
import { type SipHeaderField, SipHeaders, writtenHeaderName } from "./sip_headers.ts";
import { type RecoveredRequest, SipParseError } from "./sip_parse_error.ts";
import { parseSipUri, type SipUri } from "./sip_uri.ts";
import { parseViaList } from "./via.ts";
import type { Via } from "./via.ts";

/** Bounds on what one message may hold; exceeding any of them fails the parse. */
export interface ParseLimits {
  /** Whole datagram, in bytes (answered 513 Message Too Large). */
  maxMessageBytes: number;
  /** Header fields, after unfolding (answered 400 "Too many headers"). */
  maxHeaders: number;
  /** One physical line of the start line or header section, in bytes, CR/LF excluded. */
  maxLineBytes: number;
}

/** The limits used when `parseMessage` is given none. */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 16384,
  maxHeaders: 128,
  maxLineBytes: 4096,
});

/** `status` of the SipParseError thrown for a keep-alive: drop silently, never answer. */
export const KEEP_ALIVE_STATUS = 0;

/** The body of every message without one: zero bytes, so nothing can be written to it. */
const NO_BODY = new Uint8Array(0);
const LF = 0x0a;
const CR = 0x0d;
// Not fatal: invalid UTF-8 becomes U+FFFD, which every later check treats as ordinary text.
const decoder = new TextDecoder("utf-8");
// Control characters other than HTAB, and CRs that do not end a line (RFC 3261 §25.1 TEXT-UTF8).
// deno-lint-ignore no-control-regex
const BAD_CHAR_ANYWHERE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n|$)/;
// RFC 3261 §7.1: SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive.
const SIP_VERSION = /^SIP\/\d+\.\d+$/i;
// Request-URI characters must not include whitespace (RFC 3261 §25.1 Request-Line).
const WHITESPACE = /\s/;

/** Header fields a request must carry exactly once (RFC 3261 §8.1.1; Via is checked apart). */
const SINGLE_HEADERS = ["To", "From", "Call-ID", "CSeq"] as const;

type StartLine =
  | { kind: "request"; method: string; requestUri: string; error: SipParseError | null }
  | { kind: "response"; status: number; reason: string; error: SipParseError | null };

function lineTooLong(lineBytes: number, maxLineBytes: number): SipParseError {
  return bad(
    `A header line is ${lineBytes} bytes long; the limit is ${maxLineBytes}`,
    "Header line too long",
  );
}

function bad(message: string, reasonPhrase: string, status = 400): SipParseError {
  return new SipParseError(message, { reasonPhrase, status });
}

/**
 * Parses one SIP message from the bytes of one UDP datagram.
 *
 * - CR/LF bytes before the start line are skipped (RFC 3261 §7.5). A datagram holding nothing
 *   else (a "\r\n\r\n" ping, the RFC 5626 §4.4.1 keep-alive some phones also send over UDP, or an
 *   empty datagram) throws a SipParseError
 *   with `status` 0 (KEEP_ALIVE_STATUS) and reasonPhrase "Keep-alive": drop it silently.
 * - Lines may end in CRLF or in a bare LF (tolerated, as RFC 4475 asks of robust parsers); folded lines
 *   (RFC 3261 §7.3.1) are joined with one space; values are trimmed; names are kept as written.
 * - The body is `Content-Length` bytes, a view into `data`; extra bytes are discarded and a
 *   missing Content-Length means the rest of the datagram (RFC 3261 §18.3).
 * - Requests must carry exactly one To, From, Call-ID and CSeq and at least one Via (§8.1.1);
 *   CSeq's method must equal the request method; To, From, Via and the Request-URI must parse.
 *
 * Throws only SipParseError. When the start line was a request and the header fields could be
 * split, `error.recovered` holds them so that a stateless 4xx/5xx can still be addressed.
 *
 * @example
 * ```ts
 * const message = parseMessage(new TextEncoder().encode(text));
 * if (message.type === "request") console.log(message.method, message.headers.get("Call-ID"));
 * ```
 */
export function parseMessage(data: Uint8Array, limits?: Partial<ParseLimits>): SipMessage {
  const maxMessageBytes = limits?.maxMessageBytes ?? DEFAULT_PARSE_LIMITS.maxMessageBytes;
  const maxHeaders = limits?.maxHeaders ?? DEFAULT_PARSE_LIMITS.maxHeaders;
  const maxLineBytes = limits?.maxLineBytes ?? DEFAULT_PARSE_LIMITS.maxLineBytes;
  const len = data.length;

  // RFC 3261 §7.5: ignore CRLFs before the start line.
  let pos = 0;
  while (pos < len && (data[pos] === CR || data[pos] === LF)) pos++;
  if (pos === len) {
    throw new SipParseError("Datagram holds only CR/LF bytes (a keep-alive)", {
      status: KEEP_ALIVE_STATUS,
      reasonPhrase: "Keep-alive",
    });
  }

  // One pass over the bytes: find the empty line that ends the header section, bound lines.
  let bodyStart = -1;
  let textEnd = len;
  let lineStart = pos;
  let crlf = true; // every line break so far is CRLF, as senders write them
  for (let i = pos; i < len; i++) {
    if (data[i] !== LF) continue;
    const cr = data[i - 1] === CR; // i > lineStart: a line is never empty here
    const lineBytes = i - lineStart - (cr ? 1 : 0);
    if (lineBytes > maxLineBytes) throw lineTooLong(lineBytes, maxLineBytes);
    if (!cr) crlf = false;
    const next = data[i + 1];
    if (next === LF || (next === CR && data[i + 2] === LF)) {
      textEnd = i;
      bodyStart = i + (next === LF ? 2 : 3);
      break;
    }
    lineStart = i + 1;
  }
  if (bodyStart === -1) {
    const lineBytes = len - lineStart - (len > lineStart && data[len - 1] === CR ? 1 : 0);
    if (lineBytes > maxLineBytes) throw lineTooLong(lineBytes, maxLineBytes);
  }

  // With CRLF throughout, split at CRLF (the header section's last CR is left out) and spare a
  // strip per line; only the last line can then still end in a CR.
  const cut = crlf && bodyStart !== -1 ? textEnd - 1 : textEnd;
  let text: string;
  if (pos === 0 && bodyStart === len) {
    // No body (a REGISTER's usual case): decode the whole datagram, which spares a view, and
    // drop the line endings after `cut`, one character per byte since they are CR and LF.
    const whole = decoder.decode(data);
    text = whole.slice(0, whole.length - (len - cut));
  } else text = decoder.decode(data.subarray(pos, cut));
  // Lines end at CRLF (or LF); a line's end leaves out a CR that is not part of a CRLF break.
  // The lines are read in place, as offsets into `text`: only names and values become strings.
  const sep = crlf ? "\r\n" : "\n";
  let lineEnd = text.indexOf(sep);
  let last = lineEnd === -1;
  if (last) lineEnd = text.length;
  const startText = text.slice(0, lineEndWithoutCr(text, 0, lineEnd, crlf, last));
  const startLine = parseStartLine(startText);

  // Split the header fields, remembering the first bad line but keeping the rest for recovery.
  const fields: SipHeaderField[] = [];
  const checkChars = BAD_CHAR_ANYWHERE.test(text);
  let lineError: SipParseError | null = checkChars && hasBadControl(startText)
    ? bad(
      `Start line ${quote(text.slice(0, lineEnd))} holds a control character`,
      "Invalid start line",
    )
    : null;
  let tooMany = false;
  let next = lineEnd + sep.length;
  while (!last) {
    const from = next;
    let end = text.indexOf(sep, from);
    last = end === -1;
    if (last) end = text.length;
    next = end + sep.length;
    const to = lineEndWithoutCr(text, from, end, crlf, last);
    // Only the last line can be empty: the final line ending when no empty line followed.
    if (to === from) continue;
    if (checkChars && hasBadControl(text.slice(from, to))) {
      lineError ??= bad(
        `Header line ${quote(text.slice(from, to))} holds a control character`,
        "Invalid header line",
      );
      continue;
    }
    if (isWsp(text.charCodeAt(from))) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous field.
      const previous = fields[fields.length - 1];
      const line = text.slice(from, to);
      const more = line.trim();
      if (previous === undefined) {
        lineError ??= bad(
          `Continuation line ${quote(line)} follows the start line`,
          "Invalid header line",
        );
      } else if (more !== "") {
        previous.value = previous.value === "" ? more : `${previous.value} ${more}`;
      }
      continue;
    }
    // name = token (RFC 3261 §25.1), then whitespace (allowed before the colon, §7.3.1), then ":".
    // Neither scan can pass `to`: a CR, an LF or the end of the text follows every line.
    const nameEnd = scan(text, from, TOKEN);
    const colon = skipWsp(text, nameEnd);
    if (nameEnd === from || colon >= to || text.charCodeAt(colon) !== 0x3a /* : */) {
      lineError ??= bad(
        `Cannot parse header line ${quote(text.slice(from, to))}: expected "name: value"`,
        "Invalid header line",
      );
      continue;
    }
    if (fields.length >= maxHeaders) {
      tooMany = true;
      break;
    }
    // The value without the LWS around it (RFC 3261 §7.3.1), sliced once.
    let valueStart = colon + 1;
    let valueEnd = to;
    while (valueStart < valueEnd && isWsp(text.charCodeAt(valueStart))) valueStart++;
    while (valueEnd > valueStart && isWsp(text.charCodeAt(valueEnd - 1))) valueEnd--;
    fields.push({
      name: writtenHeaderName(text, from, nameEnd),
      value: text.slice(valueStart, valueEnd),
    });
  }
  const headers = new SipHeaders(fields);

  const recovered: RecoveredRequest | undefined = startLine.kind === "request"
    ? { method: startLine.method, requestUri: startLine.requestUri, headers }
    : undefined;
  const fail = (error: SipParseError): SipParseError => {
    error.recovered = recovered;
    return error;
  };

  // RFC 3261 §21.5.7 513 Message Too Large: the length exceeded what the server accepts.
  if (len > maxMessageBytes) {
    throw fail(
      bad(`Message is ${len} bytes; the limit is ${maxMessageBytes}`, "Message Too Large", 513),
    );
  }
  if (startLine.error !== null) throw fail(startLine.error);
  if (tooMany) throw fail(bad(`More than ${maxHeaders} header fields`, "Too many headers"));
  if (lineError !== null) throw fail(lineError);
  if (bodyStart === -1) {
    throw fail(bad("No empty line ends the header section", "Missing empty line after headers"));
  }

  // RFC 3261 §8.1.1: To, From, Call-ID, CSeq exactly once; at least one Via.
  for (const name of SINGLE_HEADERS) {
    const count = headers.count(name);
    if (count !== 1) {
      const what = count === 0 ? "Missing" : "Duplicate";
      throw fail(bad(`${what} ${name} header (RFC 3261 §8.1.1)`, `${what} ${name} header`));
    }
  }
  if (!headers.has("Via")) {
    throw fail(bad("Missing Via header (RFC 3261 §8.1.1.7)", "Missing Via header"));
  }

  let topVia: Via | undefined;
  let uri: SipUri | undefined;
  let to: NameAddr | undefined;
  let from: NameAddr | undefined;
  try {
    const callId = headers.get("Call-ID")!;
    if (callId === "" || WHITESPACE.test(callId)) {
      throw bad(`Cannot parse Call-ID header ${quote(callId)}`, "Invalid Call-ID header");
    }
    const cseq = parseCSeq(headers.get("CSeq")!);
    if (startLine.kind === "request") {
      // RFC 3261 §8.1.1.5: the CSeq method MUST match the method of the request.
      if (cseq.method !== startLine.method) {
        throw bad(
          `CSeq method ${quote(cseq.method)} does not match request method ${
            quote(startLine.method)
          }`,
          "CSeq method does not match request method",
        );
      }
      // RFC 3261 §8.2.2.1: a scheme we do not understand is answered 416.
      uri = parseSipUri(startLine.requestUri);
      // RFC 3261 §19.1.1 table 1: headers are not allowed in a Request-URI.
      if (uri.headers.size > 0) {
        throw bad(
          `Request-URI ${quote(startLine.requestUri)} carries headers`,
          "Invalid Request-URI",
        );
      }
    }
    to = parseAddressHeader(headers, "To");
    from = parseAddressHeader(headers, "From");
    topVia = parseViaList(headers)[0];
  } catch (e) {
    if (e instanceof SipParseError) throw fail(e);
    throw e;
  }

  // RFC 3261 §18.3: Content-Length bounds the body; extra datagram bytes are discarded.
  let bodyEnd = len;
  const contentLengths = headers.getAll("Content-Length");
  if (contentLengths.length > 1) {
    throw fail(bad("Duplicate Content-Length header", "Duplicate Content-Length header"));
  }
  if (contentLengths.length === 1) {
    const raw = contentLengths[0]!;
    const n = parseDigits(raw);
    if (n === null) {
      throw fail(
        bad(`Cannot parse Content-Length header ${quote(raw)}`, "Invalid Content-Length header"),
      );
    }
    if (n > len - bodyStart) {
      throw fail(bad(
        `Content-Length is ${raw} but only ${len - bodyStart} body bytes arrived`,
        "Content-Length larger than message body",
      ));
    }
    bodyEnd = bodyStart + n;
  }
  const body = bodyEnd === bodyStart ? NO_BODY : data.subarray(bodyStart, bodyEnd);

  if (startLine.kind === "request") {
    return {
      type: "request",
      method: startLine.method,
      requestUri: startLine.requestUri,
      headers,
      body,
      topVia,
      uri,
      to,
      from,
    };
  }
  return { type: "response", status: startLine.status, reason: startLine.reason, headers, body };
}

function parseAddressHeader(headers: SipHeaders, name: "To" | "From"): NameAddr {
  try {
    return parseNameAddr(headers.get(name)!);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    throw bad(`Cannot parse ${name} header: ${e.message}`, `Invalid ${name} header`);
  }
}

/**
 * True when a line holds a control character other than HTAB that is not the escaped character
 * of a quoted-pair (RFC 3261 §25.1 quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F), which RFC
 * 4475 §3.1.1.2 exercises with raw NUL, BEL and DEL).
 */
function hasBadControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      if (c === 0x0d || c === 0x0a || i === 0 || line.charCodeAt(i - 1) !== 0x5c) return true;
    }
  }
  return false;
}

/**
 * Where the line `text[from, end)` ends once a trailing CR is left out: with CRLF breaks only the
 * last line can hold one (the header section's end was cut before its CR), with bare LFs any can.
 */
function lineEndWithoutCr(
  text: string,
  from: number,
  end: number,
  crlf: boolean,
  last: boolean,
): number {
  return (!crlf || last) && end > from && text.charCodeAt(end - 1) === CR ? end - 1 : end;
}

/**
 * Reads a Request-Line or Status-Line (RFC 3261 §7.1, §7.2). Throws when the line is too garbled
 * to tell a method; otherwise returns it with an error to raise once the headers are split.
 */
function parseStartLine(line: string): StartLine {
  const sp = line.indexOf(" ");
  const first = sp === -1 ? line : line.slice(0, sp);
  if (SIP_VERSION.test(first)) {
    const rest = line.slice(sp + 1);
    const code = rest.slice(0, 3);
    if (
      sp === -1 || !/^[1-6]\d\d$/.test(code) || (rest.length > 3 && rest.charCodeAt(3) !== 0x20)
    ) {
      throw bad(`Cannot parse status line ${quote(line)}`, "Invalid status line");
    }
    const error = first.toUpperCase() === "SIP/2.0" ? null : bad(
      `SIP version ${quote(first)} is not supported; expected "SIP/2.0"`,
      "Version Not Supported",
      505,
    );
    return { kind: "response", status: Number(code), reason: rest.slice(4), error };
  }
  if (sp <= 0 || !isToken(first)) {
    throw bad(`Cannot parse start line ${quote(line)}`, "Invalid start line");
  }
  const last = line.lastIndexOf(" ");
  const requestUri = (last === sp ? line.slice(sp + 1) : line.slice(sp + 1, last)).trim();
  const version = last === sp ? "" : line.slice(last + 1);
  let error: SipParseError | null = null;
  if (SIP_VERSION.test(version)) {
    if (version.toUpperCase() !== "SIP/2.0") {
      // RFC 3261 §8.2.2.1 / §21.5.6: 505 for a version other than SIP/2.0.
      error = bad(
        `SIP version ${quote(version)} is not supported; expected "SIP/2.0"`,
        "Version Not Supported",
        505,
      );
    }
  } else {error = bad(
      `Cannot parse request line ${quote(line)}: bad SIP version`,
      "Invalid request line",
    );}
  // RFC 3261 §7.1: exactly one SP between the elements; no whitespace inside the Request-URI.
  if (error === null && (requestUri === "" || WHITESPACE.test(line.slice(sp + 1, last)))) {
    error = bad(
      `Cannot parse request line ${quote(line)}: expected "Method SP Request-URI SP SIP-Version"`,
      "Invalid request line",
    );
  }
  return { kind: "request", method: first, requestUri, error };
}

// SipHeaders: the ordered header fields of one message, looked up by any spelling of their name.
import { knownName, MATCH_EXACT } from "./_grammar.ts";

/** One header field: the name as written and the value unfolded and trimmed (RFC 3261 §7.3.1). */
export interface SipHeaderField {
  name: string;
  value: string;
}

// RFC 3261 §7.3.3 compact forms (plus RFC 3515 r, RFC 3891/4028 and friends are not needed here).
const COMPACT_FORMS: Record<string, string> = {
  i: "call-id",
  m: "contact",
  e: "content-encoding",
  l: "content-length",
  c: "content-type",
  f: "from",
  s: "subject",
  k: "supported",
  t: "to",
  v: "via",
  o: "event",
  u: "allow-events",
  r: "refer-to",
  b: "referred-by",
  x: "session-expires",
  y: "identity",
};

/** Lower-case long form of a header name: `canonicalHeaderName("m") === "contact"`. */
export function canonicalHeaderName(name: string): string {
  // The names of a REGISTER and its answer as senders write them and as this code looks them up
  // (≈ 40 times per request): a string switch costs a third of the Map lookup below.
  switch (name) {
    case "Via":
      return "via";
    case "From":
      return "from";
    case "To":
      return "to";
    case "Call-ID":
      return "call-id";
    case "CSeq":
      return "cseq";
    case "Contact":
      return "contact";
    case "Expires":
      return "expires";
    case "Max-Forwards":
      return "max-forwards";
    case "User-Agent":
      return "user-agent";
    case "Content-Length":
      return "content-length";
    case "Authorization":
      return "authorization";
  }
  // Every other spelling seen is remembered (bounded).
  const known = CANONICAL_NAMES.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  const canonical = lower.length === 1 ? COMPACT_FORMS[lower] ?? lower : lower;
  if (CANONICAL_NAMES.size >= 512) CANONICAL_NAMES.clear();
  CANONICAL_NAMES.set(name, canonical);
  return canonical;
}

const CANONICAL_NAMES = new Map<string, string>();

// Names as phones write them: a parsed name spelled exactly so is this string instead of a new
// slice of the datagram's text, which every later lookup would have to resolve.
const WRITTEN_NAMES = [
  "Via",
  "From",
  "To",
  "Call-ID",
  "CSeq",
  "Contact",
  "Expires",
  "Max-Forwards",
  "User-Agent",
  "Content-Length",
  "Authorization",
  "Supported",
  "Require",
  "Allow",
];

/** `text.slice(from, to)`, as a shared string when it is a common name spelled as above. */
export function writtenHeaderName(text: string, from: number, to: number): string {
  return knownName(text, from, to, WRITTEN_NAMES, MATCH_EXACT) ?? text.slice(from, to);
}

/**
 * Splits a header value at top-level commas (RFC 3261 §7.3.1), never inside quoted strings or
 * angle brackets. Empty elements are dropped.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuotes) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inQuotes = false;
    } else if (c === 0x22) inQuotes = true;
    else if (c === 0x3c /* < */) inAngle = true;
    else if (c === 0x3e /* > */) inAngle = false;
    else if (c === 0x2c /* , */ && !inAngle) {
      const part = value.slice(start, i).trim();
      if (part !== "") out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== "") out.push(last);
  return out;
}

/**
 * The header fields of a message in their original order, looked up case-insensitively and by
 * compact or long name.
 *
 * @example
 * ```ts
 * const h = new SipHeaders([{ name: "m", value: "<sip:a@b>, <sip:c@d>" }]);
 * h.list("Contact"); // ["<sip:a@b>", "<sip:c@d>"]
 * ```
 */
export class SipHeaders {
  readonly #fields: SipHeaderField[];
  readonly #keys: string[];

  constructor(fields: SipHeaderField[] = []) {
    this.#fields = fields;
    this.#keys = fields.map((f) => canonicalHeaderName(f.name));
  }

  /** The first value of a header, or undefined. */
  get(name: string): string | undefined {
    const key = canonicalHeaderName(name);
    const i = this.#keys.indexOf(key);
    return i === -1 ? undefined : this.#fields[i]!.value;
  }

  /** Every field value of a header, in order, each as written (not comma-split). */
  getAll(name: string): string[] {
    const key = canonicalHeaderName(name);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] === key) out.push(this.#fields[i]!.value);
    }
    return out;
  }

  /** Every element of a comma-separated list header across all its fields (RFC 3261 §7.3.1). */
  list(name: string): string[] {
    const out: string[] = [];
    for (const value of this.getAll(name)) out.push(...splitHeaderList(value));
    return out;
  }

  has(name: string): boolean {
    return this.#keys.includes(canonicalHeaderName(name));
  }

  /** How many fields carry this header. */
  count(name: string): number {
    const key = canonicalHeaderName(name);
    let n = 0;
    for (const k of this.#keys) if (k === key) n++;
    return n;
  }

  append(name: string, value: string): void {
    this.#fields.push({ name, value });
    this.#keys.push(canonicalHeaderName(name));
  }

  /** Replaces every field of this header with one field (appended at the end if absent). */
  set(name: string, value: string): void {
    const key = canonicalHeaderName(name);
    const i = this.#keys.indexOf(key);
    if (i === -1) return this.append(name, value);
    this.#fields[i] = { name: this.#fields[i]!.name, value };
    this.#removeFrom(key, i + 1);
  }

  delete(name: string): void {
    this.#removeFrom(canonicalHeaderName(name), 0);
  }

  /** The fields in order (a copy). */
  fields(): SipHeaderField[] {
    return this.#fields.map((f) => ({ name: f.name, value: f.value }));
  }

  get size(): number {
    return this.#fields.length;
  }

  #removeFrom(key: string, from: number): void {
    for (let i = this.#keys.length - 1; i >= from; i--) {
      if (this.#keys[i] === key) {
        this.#keys.splice(i, 1);
        this.#fields.splice(i, 1);
      }
    }
  }
}

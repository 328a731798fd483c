// Shared helpers for the SIP tests: building raw messages and reading the fixture corpus.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SipParseError } from "../../src/sip/sip_parse_error.ts";

const encoder = new TextEncoder();

/** Joins lines with CRLF, adds the empty line, then the body: one raw datagram. */
export function rawMessage(lines: string[], body = ""): Uint8Array {
  return encoder.encode(lines.join("\r\n") + "\r\n\r\n" + body);
}

/** A well-formed REGISTER's lines; tests replace or drop single lines from it. */
export const REGISTER_LINES: readonly string[] = [
  "REGISTER sip:example.com SIP/2.0",
  "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKtest1;rport",
  "Max-Forwards: 70",
  "To: <sip:sam@example.com>",
  "From: <sip:sam@example.com>;tag=s1",
  "Call-ID: test@192.0.2.20",
  "CSeq: 1 REGISTER",
  'Contact: <sip:sam@192.0.2.20>;expires=3600;+sip.instance="<urn:uuid:1>";reg-id=1',
  "Content-Length: 0",
];

/** REGISTER_LINES with every line starting with `prefix` replaced by `replacement` (or dropped). */
export function registerWith(prefix: string, replacement: string | null): string[] {
  const out: string[] = [];
  for (const line of REGISTER_LINES) {
    if (!line.startsWith(prefix)) out.push(line);
    else if (replacement !== null) out.push(replacement);
  }
  return out;
}

/** Directory of the SIP fixtures. */
export const FIXTURE_DIR = fileURLToPath(new URL("../fixtures/sip/", import.meta.url));

/** Every fixture as "valid/name.sip" or "invalid/name.sip", sorted. */
export function fixtureNames(): string[] {
  const out: string[] = [];
  for (const dir of ["valid", "invalid"]) {
    for (const name of readdirSync(FIXTURE_DIR + dir).sort()) {
      if (name.endsWith(".sip")) out.push(`${dir}/${name}`);
    }
  }
  return out;
}

/** The raw bytes of one fixture. */
export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURE_DIR + name));
}

/** Runs `fn`, asserts it throws a SipParseError and returns that error. */
export function catchSipError(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw new Error(`Expected a SipParseError, got ${String(e)}`);
  }
  throw new Error("Expected a SipParseError, but nothing was thrown");
}

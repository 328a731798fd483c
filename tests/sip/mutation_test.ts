// Seeded mutation loop: nothing but SipParseError escapes the parser and the typed parsers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseContacts } from "../../src/sip/contact.ts";
import {
  parseCSeq,
  parseExpires,
  parseMaxForwards,
  parseOptionTags,
} from "../../src/sip/header_values.ts";
import { parseNameAddr, tagOf } from "../../src/sip/name_addr.ts";
import { parseMessage } from "../../src/sip/parse_message.ts";
import { buildErrorResponse, buildResponse, formatMessage } from "../../src/sip/response.ts";
import { SipParseError } from "../../src/sip/sip_parse_error.ts";
import { formatSipUri, parseSipUri, sipUriEquals } from "../../src/sip/sip_uri.ts";
import { formatVia, parseVia, parseViaList } from "../../src/sip/via.ts";
import { prng } from "../_support/prng.ts";
import { fixtureNames, readFixture } from "./_support.ts";

const ITERATIONS = 20_000;
const SEED = 0x5151_2026;
const SPECIAL = [...'\r\n\0"<>,;:= \t\\%@[]*'].map((c) => c.charCodeAt(0)).concat([
  0xff,
  0xc3,
  0x80,
]);
const SOURCE = { address: "203.0.113.9", port: 61000 };

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  let bytes = Array.from(input);
  const pick = (n: number) => Math.floor(random() * n);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = pick(bytes.length + 1);
    const special = SPECIAL[pick(SPECIAL.length)]!;
    switch (pick(6)) {
      case 0:
        if (at < bytes.length) bytes[at] = pick(256);
        break;
      case 1:
        if (at < bytes.length) bytes[at] = special;
        break;
      case 2:
        bytes.splice(at, 0, special);
        break;
      case 3:
        bytes.splice(at, 1 + pick(3));
        break;
      case 4:
        bytes = bytes.slice(0, at);
        break;
      default: {
        const from = pick(bytes.length + 1);
        bytes.splice(at, 0, ...bytes.slice(from, from + 1 + pick(40)));
      }
    }
  }
  return new Uint8Array(bytes);
}

/** Runs `fn`; a SipParseError is fine, anything else is reported. */
function tolerant(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof SipParseError) return;
    throw new Error(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** Exercises every typed parser on a message that parsed. */
function exercise(data: Uint8Array): void {
  const message = parseMessage(data);
  const h = message.headers;
  tolerant("parseContacts", () => {
    for (const c of parseContacts(h).contacts) {
      const again = parseSipUri(formatSipUri(c.uri));
      if (!sipUriEquals(again, c.uri)) {
        throw new Error(`Contact URI ${c.uriText} does not round-trip`);
      }
    }
  });
  tolerant("parseViaList", () => {
    for (const via of parseViaList(h)) parseVia(formatVia(via));
  });
  for (const name of ["To", "From", "Route", "Path"]) {
    for (const value of h.list(name)) {
      tolerant(`parseNameAddr(${name})`, () => {
        tolerant("parseSipUri", () => parseSipUri(parseNameAddr(value).uri));
      });
      tagOf(value);
    }
  }
  tolerant("parseCSeq", () => parseCSeq(h.get("CSeq") ?? ""));
  tolerant("parseExpires", () => parseExpires(h.get("Expires") ?? "0"));
  tolerant("parseMaxForwards", () => parseMaxForwards(h.get("Max-Forwards") ?? "70"));
  tolerant("parseOptionTags", () => parseOptionTags(h, "Supported"));
  if (message.type === "request") {
    const uri = parseSipUri(message.requestUri); // parseMessage already checked it
    if (!sipUriEquals(parseSipUri(formatSipUri(uri)), uri)) {
      throw new Error(`Request-URI ${message.requestUri} does not round-trip`);
    }
    // A response built from any accepted request must itself be accepted.
    const response = buildResponse(message, 200, { source: SOURCE, server: "fuzz" });
    parseMessage(formatMessage(response));
  }
}

describe("mutation loop", () => {
  it(`parseMessage() and the typed parsers throw only SipParseError over ${ITERATIONS} seeded mutations`, () => {
    const seeds = fixtureNames().map(readFixture);
    const random = prng(SEED);
    const escapes: string[] = [];
    let accepted = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const data = mutate(seeds[Math.floor(random() * seeds.length)]!, random);
      try {
        exercise(data);
        accepted++;
      } catch (e) {
        if (e instanceof SipParseError) {
          // A rejected request must still be answerable (or droppable) without another throw; the
          // reply copies what the request had, so it may itself be unparsable, but only so.
          try {
            const reply = buildErrorResponse(e, { source: SOURCE });
            if (reply !== null) tolerant("reply", () => parseMessage(formatMessage(reply)));
          } catch (inner) {
            escapes.push(
              `#${i} error reply: ${String(inner)} for ${
                JSON.stringify(new TextDecoder().decode(data))
              }`,
            );
          }
          continue;
        }
        escapes.push(`#${i}: ${String(e)} for ${JSON.stringify(new TextDecoder().decode(data))}`);
      }
    }
    assert.deepEqual(escapes.slice(0, 5), []);
    // The loop must exercise both paths, or it proves little.
    assert.ok(accepted > ITERATIONS / 20, `only ${accepted} mutants were accepted`);
    assert.ok(accepted < ITERATIONS, "no mutant was rejected");
  });
});

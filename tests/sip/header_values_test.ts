// Tests for parseCSeq, parseExpires, parseMaxForwards and parseOptionTags (RFC 3261 §20).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  parseCSeq,
  parseExpires,
  parseMaxForwards,
  parseOptionTags,
} from "../../src/sip/header_values.ts";
import { SipHeaders } from "../../src/sip/sip_headers.ts";
import { catchSipError } from "./_support.ts";

describe("parseCSeq()", () => {
  const cases: Array<[string, number, string]> = [
    ["1 REGISTER", 1, "REGISTER"],
    ["4711   INVITE", 4711, "INVITE"],
    ["0\tOPTIONS", 0, "OPTIONS"],
    [" 00042 register ", 42, "register"],
    ["2147483647 REGISTER", 2147483647, "REGISTER"],
    [
      "139122385 !interesting-Method0123456789_*+`.%indeed'~",
      139122385,
      "!interesting-Method0123456789_*+`.%indeed'~",
    ],
  ];
  for (const [value, seq, method] of cases) {
    it(`parseCSeq() reads ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseCSeq(value), { seq, method });
    });
  }
  const bad = [
    "",
    "REGISTER",
    "1",
    "1REGISTER",
    "-1 REGISTER",
    "1.5 REGISTER",
    "1 REGISTER extra",
    "1 REG:ISTER",
    "2147483648 REGISTER",
    "36893488147419103232 REGISTER",
  ];
  for (const value of bad) {
    it(`parseCSeq() rejects ${JSON.stringify(value)}`, () => {
      const error = catchSipError(() => parseCSeq(value));
      assert.equal(error.status, 400);
      assert.equal(error.reasonPhrase, "Invalid CSeq header");
    });
  }
});

describe("parseExpires()", () => {
  const cases: Array<[string, number]> = [
    ["0", 0],
    ["3600", 3600],
    [" 60 ", 60],
    ["4294967295", 4294967295],
    ["4294967296", 4294967295],
    ["1" + "0".repeat(40), 4294967295],
  ];
  for (const [value, want] of cases) {
    it(`parseExpires() reads ${JSON.stringify(value.slice(0, 20))} as ${want}`, () => {
      assert.equal(parseExpires(value), want);
    });
  }
  for (const value of ["", "-1", "1.5", "never", "Thu, 01 Dec 1994 16:00:00 GMT", "60 s"]) {
    it(`parseExpires() rejects ${JSON.stringify(value)}`, () => {
      const error = catchSipError(() => parseExpires(value));
      assert.equal(error.reasonPhrase, "Invalid Expires header");
      assert.match(error.message, /^Cannot parse Expires header "/);
    });
  }
});

describe("parseMaxForwards()", () => {
  for (const [value, want] of [["70", 70], ["0", 0], ["255", 255], [" 1", 1]] as const) {
    it(`parseMaxForwards() reads ${JSON.stringify(value)}`, () => {
      assert.equal(parseMaxForwards(value), want);
    });
  }
  for (const value of ["", "256", "300", "-1", "seventy"]) {
    it(`parseMaxForwards() rejects ${JSON.stringify(value)}`, () => {
      assert.equal(
        catchSipError(() => parseMaxForwards(value)).reasonPhrase,
        "Invalid Max-Forwards header",
      );
    });
  }
});

describe("parseOptionTags()", () => {
  it("parseOptionTags() lower-cases and splits tags across fields, compact form included", () => {
    const headers = new SipHeaders([
      { name: "Supported", value: "path, Outbound" },
      { name: "k", value: "GRUU" },
      { name: "Require", value: "path" },
    ]);
    assert.deepEqual(parseOptionTags(headers, "Supported"), ["path", "outbound", "gruu"]);
    assert.deepEqual(parseOptionTags(headers, "Require"), ["path"]);
    assert.deepEqual(parseOptionTags(headers, "Proxy-Require"), []);
  });

  it("parseOptionTags() rejects a tag that is not a token", () => {
    const headers = new SipHeaders([{ name: "Require", value: "path, <bad>" }]);
    const error = catchSipError(() => parseOptionTags(headers, "Require"));
    assert.equal(error.status, 400);
    assert.equal(error.reasonPhrase, "Invalid Require header");
  });
});

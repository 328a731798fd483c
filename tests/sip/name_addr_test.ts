// Tests for parseNameAddr and tagOf (RFC 3261 §20.10, §19.3).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseNameAddr, tagOf } from "../../src/sip/name_addr.ts";
import { catchSipError } from "./_support.ts";

describe("parseNameAddr()", () => {
  const cases: Array<[string, string | null, string, Array<[string, string | null]>]> = [
    ["<sip:alice@example.com>", null, "sip:alice@example.com", []],
    ["Alice <sip:alice@example.com>;tag=1928", "Alice", "sip:alice@example.com", [["tag", "1928"]]],
    ['"Alice" <sip:alice@example.com>', "Alice", "sip:alice@example.com", []],
    ['"" <sip:a@b>', "", "sip:a@b", []],
    ['"A \\"quoted\\" name" <sip:a@b>', 'A "quoted" name', "sip:a@b", []],
    ['"Back\\\\slash" <sip:a@b>', "Back\\slash", "sip:a@b", []],
    ['"<sip:fake@x>;tag=no" <sip:a@b>;tag=yes', "<sip:fake@x>;tag=no", "sip:a@b", [["tag", "yes"]]],
    ["Bob Smith   <sip:bob@b>", "Bob Smith", "sip:bob@b", []],
    ["  Iván <sip:ivan@b> ", "Iván", "sip:ivan@b", []],
    ["<sip:a@b;transport=udp>;expires=60", null, "sip:a@b;transport=udp", [["expires", "60"]]],
    // RFC 3261 §20.10: without brackets every ";param" is a header parameter.
    ["sip:a@b;tag=88;transport=udp", null, "sip:a@b", [["tag", "88"], ["transport", "udp"]]],
    ["sip:a@b", null, "sip:a@b", []],
    ["tel:+1-201-555-0123;tag=x", null, "tel:+1-201-555-0123", [["tag", "x"]]],
    ["<sip:a@b> ; TAG = 98asjd8 ; Flag", null, "sip:a@b", [["tag", "98asjd8"], ["flag", null]]],
    [
      '<sip:a@b>;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1',
      null,
      "sip:a@b",
      [["+sip.instance", "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"], ["reg-id", "1"]],
    ],
    ["<sip:a@b>;received=[2001:db8::1]", null, "sip:a@b", [["received", "[2001:db8::1]"]]],
    ["<sip:a@b>;tag=1;tag=2", null, "sip:a@b", [["tag", "1"]]],
  ];
  for (const [text, displayName, uri, params] of cases) {
    it(`parseNameAddr() reads ${JSON.stringify(text)}`, () => {
      const value = parseNameAddr(text);
      assert.equal(value.displayName, displayName);
      assert.equal(value.uri, uri);
      assert.deepEqual([...value.params], params);
    });
  }

  const bad = [
    "",
    "   ",
    '"unterminated <sip:a@b>',
    '"Alice" sip:a@b',
    "Alice <sip:a@b",
    "<>",
    "< sip:a@b>",
    "<sip:a@b >",
    "<not a uri>",
    "<sip:a@b> junk",
    "<sip:a@b>;",
    "<sip:a@b>;=x",
    "<sip:a@b>;x=",
    '<sip:a@b>;x="open',
    "<sip:a@b>;x=a b",
    "sip:a@b,c",
    "sip:a@b?x=y",
    'Al"ice <sip:a@b>',
    "Alice\u0001 <sip:a@b>",
    "just words",
  ];
  for (const text of bad) {
    it(`parseNameAddr() rejects ${JSON.stringify(text)}`, () => {
      const error = catchSipError(() => parseNameAddr(text));
      assert.equal(error.status, 400);
      assert.equal(error.reasonPhrase, "Invalid address");
      assert.match(error.message, /^Cannot parse address "/);
    });
  }
});

describe("tagOf()", () => {
  const cases: Array<[string, string | null]> = [
    ["<sip:bob@example.com>;tag=a6c85cf", "a6c85cf"],
    ["sip:bob@example.com;tag=a6c85cf", "a6c85cf"],
    ['"tag=fake" <sip:bob@example.com>', null],
    ["<sip:bob@example.com;tag=in-uri>", null],
    ["<sip:bob@example.com>", null],
    ["<sip:bob@example.com>;TAG=Upper", "Upper"],
    ["<sip:bob@example.com>;tag", null],
    ['"broken <sip:bob@example.com>;tag=x', null],
    ["", null],
  ];
  for (const [value, tag] of cases) {
    it(`tagOf() gives ${JSON.stringify(tag)} for ${JSON.stringify(value)}`, () => {
      assert.equal(tagOf(value), tag);
    });
  }
});

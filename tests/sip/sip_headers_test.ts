// Tests for SipHeaders, canonicalHeaderName and splitHeaderList (RFC 3261 §7.3).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonicalHeaderName, SipHeaders, splitHeaderList } from "../../src/sip/sip_headers.ts";

describe("canonicalHeaderName()", () => {
  const cases: Array<[string, string]> = [
    ["Call-ID", "call-id"],
    ["i", "call-id"],
    ["M", "contact"],
    ["v", "via"],
    ["l", "content-length"],
    ["k", "supported"],
    ["q", "q"],
    ["X-Custom", "x-custom"],
  ];
  for (const [name, want] of cases) {
    it(`canonicalHeaderName() maps ${JSON.stringify(name)} to ${JSON.stringify(want)}`, () => {
      assert.equal(canonicalHeaderName(name), want);
    });
  }

  it("canonicalHeaderName() gives the usual spellings (its fast path) their lower-case form", () => {
    const usual = [
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
    ];
    for (const name of usual) {
      // A copy built at run time, as the parser's slices are, and the literal itself.
      const sliced = `${name}: x`.slice(0, name.length);
      assert.equal(canonicalHeaderName(sliced), name.toLowerCase());
      assert.equal(canonicalHeaderName(name), name.toLowerCase());
      assert.equal(canonicalHeaderName(name.toUpperCase()), name.toLowerCase());
    }
  });
});

describe("splitHeaderList()", () => {
  const cases: Array<[string, string[]]> = [
    ["a, b,c", ["a", "b", "c"]],
    ['"Doe, John" <sip:j@x>, <sip:k@y;a=1,2>', ['"Doe, John" <sip:j@x>', "<sip:k@y;a=1,2>"]],
    ['"a \\" , b" <sip:x@y>', ['"a \\" , b" <sip:x@y>']],
    [" , ,a,, ", ["a"]],
    ["", []],
  ];
  for (const [value, want] of cases) {
    it(`splitHeaderList() splits ${JSON.stringify(value)}`, () => {
      assert.deepEqual(splitHeaderList(value), want);
    });
  }
});

describe("SipHeaders", () => {
  const make = () =>
    new SipHeaders([
      { name: "Via", value: "SIP/2.0/UDP a" },
      { name: "v", value: "SIP/2.0/UDP b, SIP/2.0/UDP c" },
      { name: "m", value: "<sip:x@y>" },
      { name: "CONTACT", value: "<sip:z@w>" },
    ]);

  it("SipHeaders finds fields by any spelling of their name", () => {
    const h = make();
    assert.equal(h.get("via"), "SIP/2.0/UDP a");
    assert.deepEqual(h.getAll("VIA"), ["SIP/2.0/UDP a", "SIP/2.0/UDP b, SIP/2.0/UDP c"]);
    assert.deepEqual(h.list("v"), ["SIP/2.0/UDP a", "SIP/2.0/UDP b", "SIP/2.0/UDP c"]);
    assert.equal(h.count("Contact"), 2);
    assert.equal(h.has("m"), true);
    assert.equal(h.has("To"), false);
    assert.equal(h.get("To"), undefined);
    assert.equal(h.size, 4);
  });

  it("SipHeaders.set() replaces every field of a name in place and keeps its spelling", () => {
    const h = make();
    h.set("Contact", "*");
    assert.deepEqual(h.fields().map((f) => [f.name, f.value]), [
      ["Via", "SIP/2.0/UDP a"],
      ["v", "SIP/2.0/UDP b, SIP/2.0/UDP c"],
      ["m", "*"],
    ]);
    h.set("Expires", "0");
    assert.equal(h.fields().at(-1)?.name, "Expires");
  });

  it("SipHeaders.delete() and append() change the fields; fields() is a copy", () => {
    const h = make();
    h.delete("via");
    h.append("To", "<sip:t@u>");
    const fields = h.fields();
    fields[0]!.value = "changed";
    assert.deepEqual(h.fields().map((f) => f.name), ["m", "CONTACT", "To"]);
    assert.equal(h.get("m"), "<sip:x@y>");
  });
});

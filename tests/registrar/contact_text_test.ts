// withExpiresParam(): the 200 echoes each Contact as sent, with the granted expires.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { withExpiresParam } from "../../src/registrar/contact_text.ts";
import { bindingId } from "../../src/registrar/binding_id.ts";

describe("withExpiresParam()", () => {
  const cases: Array<[string, number, string]> = [
    ["<sip:bob@10.0.0.5>", 60, "<sip:bob@10.0.0.5>;expires=60"],
    ["<sip:bob@10.0.0.5>;expires=7200;q=0.5", 3600, "<sip:bob@10.0.0.5>;q=0.5;expires=3600"],
    ["sip:bob@10.0.0.5;EXPIRES=10", 60, "sip:bob@10.0.0.5;expires=60"],
    ["<sip:bob@10.0.0.5;expires=1>", 60, "<sip:bob@10.0.0.5;expires=1>;expires=60"],
    [
      '"A;B <x>" <sip:bob@h;transport=udp>;+sip.instance="<urn:uuid:1;2>";reg-id=1',
      30,
      '"A;B <x>" <sip:bob@h;transport=udp>;+sip.instance="<urn:uuid:1;2>";reg-id=1;expires=30',
    ],
  ];
  for (const [input, seconds, expected] of cases) {
    it(`sets expires=${seconds} on ${input}`, () => {
      assert.equal(withExpiresParam(input, seconds), expected);
    });
  }
});

describe("bindingId()", () => {
  it("is stable, short, and avoids ids already taken", () => {
    const a = bindingId("sip:bob@office", "sip:bob@10.0.0.5", new Set());
    assert.equal(a, bindingId("sip:bob@office", "sip:bob@10.0.0.5", new Set()));
    assert.match(a, /^[0-9a-z]{6}$/);
    const b = bindingId("sip:bob@office", "sip:bob@10.0.0.5", new Set([a]));
    assert.notEqual(a, b);
  });
});

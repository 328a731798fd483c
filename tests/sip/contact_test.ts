// Tests for parseContacts and parseContact (RFC 3261 §10.2.1, §20.10; RFC 5626 §4.2).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseContact, parseContacts } from "../../src/sip/contact.ts";
import { SipHeaders } from "../../src/sip/sip_headers.ts";
import { catchSipError } from "./_support.ts";

function headers(...contacts: string[]): SipHeaders {
  return new SipHeaders(contacts.map((value, k) => ({ name: k % 2 ? "m" : "Contact", value })));
}

describe("parseContacts()", () => {
  it("parseContacts() reads a phone's outbound registration", () => {
    const { wildcard, contacts } = parseContacts(headers(
      '<sip:1001@10.0.1.23:5062;transport=udp>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-805ec0a1b2c3>";expires=3600',
    ));
    assert.equal(wildcard, false);
    assert.equal(contacts.length, 1);
    const c = contacts[0]!;
    assert.equal(c.uriText, "sip:1001@10.0.1.23:5062;transport=udp");
    assert.equal(c.uri.host, "10.0.1.23");
    assert.equal(c.uri.port, 5062);
    assert.equal(c.expires, 3600);
    assert.equal(c.q, null);
    assert.equal(c.regId, 1);
    assert.equal(c.instance, "<urn:uuid:00000000-0000-1000-8000-805ec0a1b2c3>");
    assert.equal(c.displayName, null);
  });

  it("parseContacts() keeps each element's text as sent, trimmed, across fields and commas", () => {
    const { contacts } = parseContacts(headers(
      ' "A, B" <sip:a@192.0.2.1>;q=0.5 ,<sip:b@192.0.2.2>',
      "sip:c@192.0.2.3;expires=10",
    ));
    assert.deepEqual(contacts.map((c) => c.text), [
      '"A, B" <sip:a@192.0.2.1>;q=0.5',
      "<sip:b@192.0.2.2>",
      "sip:c@192.0.2.3;expires=10",
    ]);
    assert.deepEqual(contacts.map((c) => c.displayName), ["A, B", null, null]);
    assert.equal(contacts[2]!.expires, 10);
    assert.equal(contacts[2]!.uri.params.size, 0, "addr-spec params are header params");
  });

  it("parseContacts() reports a wildcard and leaves it out of contacts", () => {
    assert.deepEqual(parseContacts(headers("*")), { wildcard: true, contacts: [] });
    const mixed = parseContacts(headers("*", "<sip:a@b>"));
    assert.equal(mixed.wildcard, true);
    assert.equal(mixed.contacts.length, 1);
  });

  it("parseContacts() gives nothing for a request without Contact", () => {
    assert.deepEqual(parseContacts(new SipHeaders()), { wildcard: false, contacts: [] });
  });

  const expires: Array<[string, number]> = [
    ["0", 0],
    ["3600", 3600],
    ["0003600", 3600],
    ["4294967295", 4294967295],
    ["4294967296", 4294967295],
    ["280297596632815", 4294967295],
    ["9".repeat(400), 4294967295],
  ];
  for (const [raw, want] of expires) {
    it(`parseContact() takes expires=${raw.slice(0, 20)} as ${want}`, () => {
      assert.equal(parseContact(`<sip:a@b>;expires=${raw}`).expires, want);
    });
  }
  for (const raw of ["-1", "soon", "1.5", "0x10", '""', ""]) {
    it(`parseContact() rejects expires=${JSON.stringify(raw)}`, () => {
      const text = raw === "" ? "<sip:a@b>;expires" : `<sip:a@b>;expires=${raw}`;
      const error = catchSipError(() => parseContact(text));
      assert.equal(error.status, 400);
      assert.equal(error.reasonPhrase, "Invalid expires parameter in Contact");
    });
  }

  const qValues: Array<[string, number]> = [
    ["0", 0],
    ["0.", 0],
    ["0.5", 0.5],
    ["0.125", 0.125],
    ["1", 1],
    ["1.0", 1],
    ["1.000", 1],
  ];
  for (const [raw, want] of qValues) {
    it(`parseContact() takes q=${raw} as ${want}`, () => {
      assert.equal(parseContact(`<sip:a@b>;q=${raw}`).q, want);
    });
  }
  for (const raw of ["1.5", "1.001", "0.1234", "-0.5", ".5", "2", "high", "0,5"]) {
    it(`parseContact() rejects q=${raw}`, () => {
      const error = catchSipError(() => parseContact(`<sip:a@b>;q=${raw}`));
      assert.equal(error.status, 400);
      assert.equal(
        error.reasonPhrase,
        raw === "0,5" ? "Invalid Contact header" : "Invalid q value",
      );
    });
  }

  for (const raw of ["0", "2147483648", "one", "-1"]) {
    it(`parseContact() rejects reg-id=${raw}`, () => {
      const error = catchSipError(() => parseContact(`<sip:a@b>;reg-id=${raw}`));
      assert.equal(error.reasonPhrase, "Invalid reg-id parameter in Contact");
    });
  }

  it("parseContact() gives a null instance for a +sip.instance flag", () => {
    assert.equal(parseContact("<sip:a@b>;+sip.instance").instance, null);
  });

  for (const text of ["<tel:+1-201-555-0123>", "<mailto:a@example.com>", "http://example.com/x"]) {
    it(`parseContact() rejects ${text} with 416`, () => {
      const error = catchSipError(() => parseContacts(headers(text)));
      assert.equal(error.status, 416);
      assert.equal(error.reasonPhrase, "Unsupported URI Scheme");
    });
  }

  for (
    const text of ["<sip:a@b", '"open <sip:a@b>', "<sip:@b>", "<sip:a@b>;q", "**", "<sip:a@b> x"]
  ) {
    it(`parseContact() rejects ${JSON.stringify(text)} with 400`, () => {
      const error = catchSipError(() => parseContacts(headers(text)));
      assert.equal(error.status, 400);
      assert.match(error.message, /^Cannot parse Contact header "/);
    });
  }
});

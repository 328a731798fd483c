// Tests for SipParseError: status, reason phrase and recovered request.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipHeaders } from "../../src/sip/sip_headers.ts";
import { SipParseError } from "../../src/sip/sip_parse_error.ts";

describe("SipParseError", () => {
  it("SipParseError defaults to status 400 with the message as reason phrase", () => {
    const error = new SipParseError("Missing Call-ID header");
    assert.ok(error instanceof SyntaxError);
    assert.equal(error.name, "SipParseError");
    assert.equal(error.status, 400);
    assert.equal(error.reasonPhrase, "Missing Call-ID header");
    assert.equal(error.recovered, undefined);
  });

  it("SipParseError carries a given status, reason phrase and recovered request", () => {
    const recovered = { method: "REGISTER", requestUri: "sip:x", headers: new SipHeaders() };
    const error = new SipParseError('Unsupported URI scheme "tel"', {
      status: 416,
      reasonPhrase: "Unsupported URI Scheme",
      recovered,
    });
    assert.equal(error.status, 416);
    assert.equal(error.reasonPhrase, "Unsupported URI Scheme");
    assert.equal(error.message, 'Unsupported URI scheme "tel"');
    assert.equal(error.recovered, recovered);
  });
});

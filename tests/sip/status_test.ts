// Tests for reasonPhrase (RFC 3261 §21, RFC 6585).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { REASON_PHRASES, reasonPhrase } from "../../src/sip/status.ts";

describe("reasonPhrase()", () => {
  const cases: Array<[number, string]> = [
    [100, "Trying"],
    [200, "OK"],
    [302, "Moved Temporarily"],
    [400, "Bad Request"],
    [401, "Unauthorized"],
    [403, "Forbidden"],
    [404, "Not Found"],
    [405, "Method Not Allowed"],
    [413, "Request Entity Too Large"],
    [416, "Unsupported URI Scheme"],
    [420, "Bad Extension"],
    [421, "Extension Required"],
    [423, "Interval Too Brief"],
    [429, "Too Many Requests"],
    [481, "Call/Transaction Does Not Exist"],
    [483, "Too Many Hops"],
    [500, "Server Internal Error"],
    [503, "Service Unavailable"],
    [504, "Server Time-out"],
    [505, "Version Not Supported"],
    [513, "Message Too Large"],
    [606, "Not Acceptable"],
    [199, "Provisional"],
    [299, "Success"],
    [399, "Redirection"],
    [499, "Client Error"],
    [599, "Server Error"],
    [699, "Global Failure"],
    [0, "Unknown Status"],
    [999, "Unknown Status"],
  ];
  for (const [status, phrase] of cases) {
    it(`reasonPhrase() gives ${JSON.stringify(phrase)} for ${status}`, () => {
      assert.equal(reasonPhrase(status), phrase);
    });
  }

  it("reasonPhrase() covers every code of RFC 3261 §21 plus 429", () => {
    const rfc3261 = [
      100,
      180,
      181,
      182,
      183,
      200,
      300,
      301,
      302,
      305,
      380,
      400,
      401,
      402,
      403,
      404,
      405,
      406,
      407,
      408,
      410,
      413,
      414,
      415,
      416,
      420,
      421,
      423,
      480,
      481,
      482,
      483,
      484,
      485,
      486,
      487,
      488,
      491,
      493,
      500,
      501,
      502,
      503,
      504,
      505,
      513,
      600,
      603,
      604,
      606,
    ];
    for (const status of [...rfc3261, 429]) assert.ok(REASON_PHRASES.has(status), String(status));
    assert.equal(REASON_PHRASES.size, rfc3261.length + 1);
  });
});

// Expiry negotiation (RFC 3261 §10.2.1.1, §10.3 step 7).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { negotiateExpiry, remainingSeconds, requestedExpires } from "../../src/registrar/expiry.ts";

const policy = { minExpiresSeconds: 60, defaultExpiresSeconds: 3600, maxExpiresSeconds: 7200 };

describe("requestedExpires()", () => {
  it("prefers the contact parameter, then the Expires header, then the default", () => {
    assert.equal(requestedExpires(10, 20, policy), 10);
    assert.equal(requestedExpires(null, 20, policy), 20);
    assert.equal(requestedExpires(null, null, policy), 3600);
    assert.equal(requestedExpires(0, 20, policy), 0);
  });
});

describe("negotiateExpiry()", () => {
  const cases: Array<[number, ReturnType<typeof negotiateExpiry>]> = [
    [0, { kind: "remove" }],
    [1, { kind: "too-brief", minExpiresSeconds: 60 }],
    [59, { kind: "too-brief", minExpiresSeconds: 60 }],
    [60, { kind: "grant", seconds: 60 }],
    [3600, { kind: "grant", seconds: 3600 }],
    [7200, { kind: "grant", seconds: 7200 }],
    [7201, { kind: "grant", seconds: 7200 }],
    [4294967295, { kind: "grant", seconds: 7200 }],
  ];
  for (const [asked, expected] of cases) {
    it(`decides ${JSON.stringify(expected)} for ${asked} s`, () => {
      assert.deepEqual(negotiateExpiry(asked, policy), expected);
    });
  }

  it("never refuses an interval of one hour or more, even under a larger minimum", () => {
    // §10.3: 423 only if the interval is "greater than zero AND smaller than one hour".
    const strict = {
      minExpiresSeconds: 5000,
      defaultExpiresSeconds: 6000,
      maxExpiresSeconds: 9000,
    };
    assert.deepEqual(negotiateExpiry(3600, strict), { kind: "grant", seconds: 3600 });
    assert.equal(negotiateExpiry(3599, strict).kind, "too-brief");
  });
});

describe("remainingSeconds()", () => {
  it("rounds up and never goes below zero", () => {
    assert.equal(remainingSeconds(10_000, 0), 10);
    assert.equal(remainingSeconds(10_001, 0), 11);
    assert.equal(remainingSeconds(10_000, 9_999), 1);
    assert.equal(remainingSeconds(10_000, 20_000), 0);
  });
});

// Human durations: remaining time rounds up like the 200's expires; elapsed time rounds down.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatAgo, formatDuration, formatRemaining } from "../../src/cli/render.ts";

describe("formatRemaining()", () => {
  const cases: Array<[number, string]> = [
    [1_800_000, "30m00s"],
    [1_799_001, "30m00s"],
    [1_799_000, "29m59s"],
    [500, "1s"],
    [0, "expired"],
    [-5, "expired"],
  ];
  for (const [ms, text] of cases) {
    it(`shows ${ms} ms as ${text}`, () => assert.equal(formatRemaining(ms), text));
  }
});

describe("formatDuration() and formatAgo()", () => {
  it("round elapsed time down", () => {
    assert.equal(formatDuration(59_999), "59s");
    assert.equal(formatDuration(7_260_000), "2h01m");
    assert.equal(formatAgo(192_000), "3m ago");
    assert.equal(formatAgo(200), "just now");
  });
});

// equalBytes() and equalHexText(): comparisons that look at every byte.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { equalBytes, equalHexText } from "../../src/auth/constant_time.ts";

describe("equalBytes()", () => {
  it("compares the given ranges of two arrays", () => {
    const a = new Uint8Array([9, 1, 2, 3, 4]);
    const b = new Uint8Array([1, 2, 3, 4, 7, 7]);
    assert.equal(equalBytes(a, 1, b, 0, 4), true);
    assert.equal(equalBytes(a, 0, b, 0, 4), false);
    assert.equal(equalBytes(a, 1, b, 0, 0), true, "nothing to compare");
    for (let i = 0; i < 4; i++) {
      const c = b.slice();
      c[i]! ^= 0x80;
      assert.equal(equalBytes(a, 1, c, 0, 4), false, `byte ${i}`);
    }
  });
});

describe("equalHexText()", () => {
  it("accepts the expected lower-case hex in either case", () => {
    assert.equal(equalHexText("0123456789abcdef", "0123456789abcdef"), true);
    assert.equal(equalHexText("0123456789abcdef", "0123456789ABCDEF"), true);
  });

  it("refuses other lengths, other digits and characters that only fold onto hex", () => {
    assert.equal(equalHexText("abcd", "abc"), false);
    assert.equal(equalHexText("abcd", "abcde"), false);
    assert.equal(equalHexText("abcd", "abce"), false);
    assert.equal(equalHexText("abcd", "bbcd"), false);
    // Folding every character with | 0x20 would take "\x10" for "0".
    assert.equal(equalHexText("0abc", "\x10abc"), false);
    assert.equal(equalHexText("0abc", "0AbC"), true);
    assert.equal(equalHexText("ab", "a\u0142"), false, "a code unit above 0xff never aliases");
  });
});

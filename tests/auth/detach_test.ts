// detach: equal text, whatever its characters.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { detach } from "../../src/auth/detach.ts";

describe("detach()", () => {
  it("returns the same text for ASCII, Latin-1, other BMP, astral and lone surrogates", () => {
    const datagram = new TextDecoder().decode(
      new TextEncoder().encode('Authorization: Digest username="bøb", nonce="AAAB_-9z"'),
    );
    const cases = [
      "",
      datagram.slice(datagram.indexOf("AAAB"), -1),
      datagram.slice(datagram.indexOf("bøb"), datagram.indexOf("bøb") + 3),
      "Ωμέγα",
      "phone 📞",
      "lone \ud800 and \udfff",
    ];
    for (const text of cases) {
      const copy = detach(text);
      assert.equal(copy, text);
      assert.equal(copy.length, text.length);
    }
  });
});

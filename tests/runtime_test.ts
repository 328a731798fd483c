import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nodeHmacSha256, NonceService } from "../src/auth/nonce.ts";
import { processContext, runtimeName } from "../src/runtime.ts";

describe("processContext()", () => {
  it("offers a full garbage collection on Bun only (Deno gives programs none)", () => {
    const collect = processContext().collectGarbage;
    if (runtimeName() === "bun") {
      assert.equal(typeof collect, "function");
      collect!(); // runs a collection synchronously and returns
    } else {
      assert.equal(collect, undefined);
    }
  });

  it("offers a native HMAC-SHA256 on Bun that matches node:crypto's, call after call", () => {
    const macOf = processContext().hmacSha256;
    if (runtimeName() !== "bun") {
      assert.equal(macOf, undefined);
      return;
    }
    assert.equal(typeof macOf, "function");
    const key = new Uint8Array(32).map((_, i) => i * 7);
    const native = macOf!(key);
    const node = nodeHmacSha256(key);
    const body = new Uint8Array(16).map((_, i) => 255 - i);
    // The keyed state is copied per MAC: repeating one must not change the next.
    for (const text of ["office", "office", "b\u00fcro.example", "", "office"]) {
      assert.deepEqual(Buffer.from(native(body, text)), Buffer.from(node(body, text)));
    }
    // Nonces issued with one are verified with the other.
    const secret = new Uint8Array(32).fill(9);
    const nativeNonces = new NonceService(secret, 300_000, macOf);
    const nodeNonces = new NonceService(secret, 300_000);
    const nonce = nativeNonces.issue("office", 1_000_000);
    assert.equal(nodeNonces.check(nonce, "office", 1_000_000).kind, "valid");
    const back = nodeNonces.issue("office", 1_000_000);
    assert.equal(nativeNonces.check(back, "office", 1_000_000).kind, "valid");
    assert.equal(nativeNonces.check(back, "other", 1_000_000).kind, "invalid");
    assert.equal(nativeNonces.opaque("b\u00fcro.example"), nodeNonces.opaque("b\u00fcro.example"));
  });
});

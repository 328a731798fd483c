// Stateless nonces and nonce-count replay detection.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { NonceService } from "../../src/auth/nonce.ts";
import { NonceCounts } from "../../src/auth/nonce_counts.ts";

const secret = new Uint8Array(32).fill(7);

describe("NonceService", () => {
  it("verifies its own nonces, per realm, and ages them into stale", () => {
    const nonces = new NonceService(secret, 300_000);
    const n = nonces.issue("office", 1_000_000);
    assert.deepEqual(nonces.check(n, "office", 1_000_000 + 299_000), {
      kind: "valid",
      issuedAtMs: 1_000_000,
    });
    assert.equal(nonces.check(n, "office", 1_000_000 + 301_000).kind, "stale");
    assert.equal(nonces.check(n, "other", 1_000_000).kind, "invalid");
  });

  it("refuses forged, truncated and foreign nonces", () => {
    const nonces = new NonceService(secret, 300_000);
    const n = nonces.issue("office", 1_000_000);
    const flipped = n[10] === "A" ? "B" : "A";
    assert.equal(
      nonces.check(n.slice(0, 10) + flipped + n.slice(11), "office", 1_000_000).kind,
      "invalid",
    );
    assert.equal(nonces.check(n.slice(1), "office", 1_000_000).kind, "invalid");
    assert.equal(nonces.check("", "office", 1_000_000).kind, "invalid");
    const other = new NonceService(new Uint8Array(32).fill(8), 300_000);
    assert.equal(other.check(n, "office", 1_000_000).kind, "invalid");
  });

  it("keeps the nonce layout, so nonces issued before an upgrade still verify after it", () => {
    // base64url(issuedAtMs as 8 bytes big-endian | 8 random bytes | HMAC-SHA256(secret,
    // first 16 bytes | realm)[0..16]), written here by hand.
    const issuedAtMs = 1_763_791_200_123; // above 2^32: both halves of the time matter
    const body = new Uint8Array(16);
    new DataView(body.buffer).setBigUint64(0, BigInt(issuedAtMs));
    body.set([1, 2, 3, 4, 5, 6, 7, 8], 8);
    const mac = createHmac("sha256", secret).update(body).update("office", "utf8").digest();
    const handMade = Buffer.concat([body, mac.subarray(0, 16)]).toString("base64url");
    const nonces = new NonceService(secret, 300_000);
    assert.deepEqual(nonces.check(handMade, "office", issuedAtMs + 1_000), {
      kind: "valid",
      issuedAtMs,
    });
    const issued = Buffer.from(nonces.issue("office", issuedAtMs), "base64url");
    assert.equal(issued.length, 32);
    assert.equal(
      new DataView(issued.buffer, issued.byteOffset).getBigUint64(0),
      BigInt(issuedAtMs),
    );
    const issuedMac = createHmac("sha256", secret).update(issued.subarray(0, 16))
      .update("office", "utf8").digest().subarray(0, 16);
    assert.deepEqual(issued.subarray(16), issuedMac);
  });

  it("keeps the opaque value, so challenges issued before an upgrade are still answered", () => {
    // The first 32 hex digits of HMAC-SHA256(secret, "opaque:" realm), written here by hand.
    const opaqueOf = (realm: string) =>
      createHmac("sha256", secret).update(`opaque:${realm}`).digest("hex").slice(0, 32);
    const nonces = new NonceService(secret, 300_000);
    assert.equal(nonces.opaque("office"), opaqueOf("office"));
    assert.equal(nonces.opaque("b\u00fcro.example"), opaqueOf("b\u00fcro.example"));
    assert.equal(nonces.opaque("office"), opaqueOf("office")); // cached
  });

  it("issues a different nonce each time", () => {
    const nonces = new NonceService(secret, 300_000);
    assert.notEqual(nonces.issue("office", 1), nonces.issue("office", 1));
  });

  it("draws a fresh random part for every nonce, across refills of its random pool", () => {
    const nonces = new NonceService(secret, 300_000);
    const randomParts = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const n = nonces.issue("office", 1_000_000);
      assert.equal(nonces.check(n, "office", 1_000_000).kind, "valid");
      randomParts.add(Buffer.from(n, "base64url").subarray(8, 16).toString("hex"));
    }
    assert.equal(randomParts.size, 2_000);
  });

  it("refuses a nonce whose MAC differs in any one byte", () => {
    const nonces = new NonceService(secret, 300_000);
    const bytes = Buffer.from(nonces.issue("office", 1_000_000), "base64url");
    for (let i = 16; i < 32; i++) {
      const forged = Buffer.from(bytes);
      forged[i]! ^= 0x01;
      assert.equal(
        nonces.check(forged.toString("base64url"), "office", 1_000_000).kind,
        "invalid",
        `MAC byte ${i}`,
      );
    }
  });

  it("keeps issuing and checking independent although both reuse one buffer", () => {
    const nonces = new NonceService(secret, 300_000);
    const first = nonces.issue("office", 1_000_000);
    assert.equal(nonces.check("A".repeat(43), "office", 1_000_000).kind, "invalid");
    const second = nonces.issue("branch", 1_000_100);
    const third = nonces.issue("office", 1_000_200);
    assert.deepEqual(nonces.check(first, "office", 1_000_300), {
      kind: "valid",
      issuedAtMs: 1_000_000,
    });
    assert.equal(nonces.check(second, "office", 1_000_300).kind, "invalid"); // other realm
    assert.deepEqual(nonces.check(second, "branch", 1_000_300), {
      kind: "valid",
      issuedAtMs: 1_000_100,
    });
    assert.deepEqual(nonces.check(third, "office", 1_000_300), {
      kind: "valid",
      issuedAtMs: 1_000_200,
    });
    // The right length but not base64url: refused before anything is decoded.
    assert.equal(nonces.check("=".repeat(43), "office", 1_000_300).kind, "invalid");
  });
});

describe("NonceCounts", () => {
  it("accepts rising nonce-counts and refuses a replay", () => {
    const counts = new NonceCounts(100, 300_000);
    assert.equal(counts.accept("n", 1, 0, 0), true);
    assert.equal(counts.accept("n", 2, 0, 0), true);
    assert.equal(counts.accept("n", 2, 0, 0), false);
    assert.equal(counts.accept("n", 1, 0, 0), false);
  });

  it("stays bounded and never reopens a replay window for forgotten nonces", () => {
    const counts = new NonceCounts(10, 300_000);
    for (let i = 0; i < 50; i++) assert.equal(counts.accept(`n${i}`, 1, i, i), true);
    assert.ok(counts.size <= 10);
    assert.equal(counts.accept("n0", 1, 0, 60), false, "n0 was forgotten: stale, not fresh");
    assert.equal(counts.accept("fresh", 1, 100, 100), true);
  });

  it("forgets expired nonces in issue order past its rings' growth, and keeps the rest", () => {
    const counts = new NonceCounts(100_000, 1000);
    for (let i = 0; i < 5000; i++) assert.equal(counts.accept(`n${i}`, 1, i, i), true);
    assert.equal(counts.size, 1001); // issued within the last 1000 ms of 4999
    assert.equal(counts.accept("n4999", 1, 4999, 5000), false);
    assert.equal(counts.accept("n4999", 2, 4999, 5000), true);
    assert.equal(counts.accept("n3999", 1, 3999, 5000), false);
  });

  it("wraps its rings at the cap: the newest stay, the forgotten are stale", () => {
    const counts = new NonceCounts(3000, 3_600_000);
    for (let i = 0; i < 10_000; i++) assert.equal(counts.accept(`n${i}`, 1, i, i), true);
    assert.ok(counts.size <= 3000);
    for (let i = 7001; i < 10_000; i++) {
      assert.equal(counts.accept(`n${i}`, 1, i, 10_000), false, `n${i} is remembered`);
    }
    assert.equal(counts.accept("n5000", 1, 5000, 10_000), false, "forgotten, so stale");
    assert.equal(counts.accept("n10000", 1, 10_000, 10_000), true);
  });
});

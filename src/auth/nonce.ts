// Stateless nonces: HMAC of the issue time under a server secret, so any restart can verify them.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** What verifying a nonce found. */
export type NonceCheck =
  | { kind: "valid"; issuedAtMs: number }
  | { kind: "stale"; issuedAtMs: number }
  | { kind: "invalid" };

const MAC_BYTES = 16;

/**
 * Issues and verifies nonces of the form base64url(issuedAtMs[8] | random[8] | mac[16]),
 * mac = HMAC-SHA256(secret, issuedAtMs | random | realm). Nothing is stored per nonce, so a
 * flood of challenges costs no memory; a nonce older than `ttlMs` is stale (RFC 7616 §3.3).
 */
export class NonceService {
  readonly #secret: Uint8Array;
  readonly #ttlMs: number;
  readonly #opaques = new Map<string, string>();

  constructor(secret: Uint8Array, ttlMs: number) {
    if (secret.length < 16) throw new Error("Nonce secret must be at least 16 bytes");
    this.#secret = secret;
    this.#ttlMs = ttlMs;
  }

  issue(realm: string, nowMs: number): string {
    const body = new Uint8Array(16);
    new DataView(body.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(nowMs))));
    body.set(randomBytes(8), 8);
    const out = new Uint8Array(16 + MAC_BYTES);
    out.set(body);
    out.set(this.#mac(body, realm), 16);
    return Buffer.from(out).toString("base64url");
  }

  check(nonce: string, realm: string, nowMs: number): NonceCheck {
    if (nonce.length !== 43 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { kind: "invalid" };
    const bytes = new Uint8Array(Buffer.from(nonce, "base64url"));
    if (bytes.length !== 16 + MAC_BYTES) return { kind: "invalid" };
    const body = bytes.subarray(0, 16);
    if (!timingSafeEqual(this.#mac(body, realm), bytes.subarray(16))) return { kind: "invalid" };
    const issuedAtMs = Number(new DataView(body.buffer, body.byteOffset).getBigUint64(0));
    if (issuedAtMs > nowMs + 5_000) return { kind: "invalid" }; // from the future: not ours
    return nowMs - issuedAtMs > this.#ttlMs
      ? { kind: "stale", issuedAtMs }
      : { kind: "valid", issuedAtMs };
  }

  /**
   * A fixed opaque value for the realm (RFC 7616 §3.3: returned unchanged by the client). Every
   * challenge and answer needs it, so it is computed once per realm (a few: the served domains).
   */
  opaque(realm: string): string {
    let value = this.#opaques.get(realm);
    if (value === undefined) {
      value = createHmac("sha256", this.#secret).update(`opaque:${realm}`).digest("hex")
        .slice(0, 32);
      if (this.#opaques.size >= 64) this.#opaques.clear();
      this.#opaques.set(realm, value);
    }
    return value;
  }

  #mac(body: Uint8Array, realm: string): Uint8Array {
    return new Uint8Array(
      createHmac("sha256", this.#secret).update(body).update(realm, "utf8").digest()
        .subarray(0, MAC_BYTES),
    );
  }
}

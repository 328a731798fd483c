// Stateless nonces: HMAC of the issue time under a server secret, so any restart can verify them.
import { Buffer } from "node:buffer";
import { createHmac, randomFillSync } from "node:crypto";
import { equalBytes } from "./constant_time.ts";

/** What verifying a nonce found. */
export type NonceCheck =
  | { kind: "valid"; issuedAtMs: number }
  | { kind: "stale"; issuedAtMs: number }
  | { kind: "invalid" };

const MAC_BYTES = 16;

/** HMAC-SHA256 under one key of `body` followed by the UTF-8 bytes of `text`: 32 bytes. */
export type Mac = (body: Uint8Array, text: string) => Uint8Array;

/** Makes the `Mac` of a key; a runtime may offer a faster one than `nodeHmacSha256`. */
export type MacFactory = (key: Uint8Array) => Mac;

/** HMAC-SHA256 through node:crypto's `createHmac`, which every runtime here has. */
export const nodeHmacSha256: MacFactory = (key) => (body, text) =>
  createHmac("sha256", key).update(body).update(text, "utf8").digest();

/** Random bytes drawn at once for this many nonces: one native call instead of one per 401. */
const RANDOM_POOL_NONCES = 512;

/**
 * Issues and verifies nonces of the form base64url(issuedAtMs[8] | random[8] | mac[16]),
 * mac = HMAC-SHA256(secret, issuedAtMs | random | realm). Nothing is stored per nonce, so a
 * flood of challenges costs no memory; a nonce older than `ttlMs` is stale (RFC 7616 §3.3).
 */
export class NonceService {
  readonly #mac: Mac;
  readonly #ttlMs: number;
  readonly #opaques = new Map<string, string>();
  readonly #random = Buffer.allocUnsafe(8 * RANDOM_POOL_NONCES);
  #randomAt = this.#random.length;
  /** A nonce's bytes while it is issued or checked; both run to the end without yielding. */
  readonly #bytes = Buffer.allocUnsafe(16 + MAC_BYTES);
  /** Its first 16 bytes (time and random), the part the MAC covers. */
  readonly #body = this.#bytes.subarray(0, 16);

  /** `macOf` computes the nonces' HMAC (every 401 and every answer to one takes one). */
  constructor(secret: Uint8Array, ttlMs: number, macOf: MacFactory = nodeHmacSha256) {
    if (secret.length < 16) throw new Error("Nonce secret must be at least 16 bytes");
    this.#mac = macOf(secret);
    this.#ttlMs = ttlMs;
  }

  issue(realm: string, nowMs: number): string {
    // Filled in place in one reused buffer: every 401 issues a nonce, so this is on the hot path.
    const out = this.#bytes;
    writeTime(out, Math.max(0, Math.floor(nowMs)));
    if (this.#randomAt === this.#random.length) {
      randomFillSync(this.#random);
      this.#randomAt = 0;
    }
    this.#random.copy(out, 8, this.#randomAt, this.#randomAt + 8);
    this.#randomAt += 8;
    const mac = this.#mac(this.#body, realm);
    for (let i = 0; i < MAC_BYTES; i++) out[16 + i] = mac[i]!;
    return out.toString("base64url");
  }

  check(nonce: string, realm: string, nowMs: number): NonceCheck {
    if (nonce.length !== 43 || !NONCE_TEXT.test(nonce)) return { kind: "invalid" };
    const bytes = this.#bytes;
    if (bytes.write(nonce, 0, "base64url") !== 16 + MAC_BYTES) return { kind: "invalid" };
    const mac = this.#mac(this.#body, realm);
    if (!equalBytes(mac, 0, bytes, 16, MAC_BYTES)) return { kind: "invalid" };
    const issuedAtMs = readTime(bytes);
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
      value = Buffer.from(this.#mac(NO_BYTES, `opaque:${realm}`)).toString("hex").slice(0, 32);
      if (this.#opaques.size >= 64) this.#opaques.clear();
      this.#opaques.set(realm, value);
    }
    return value;
  }
}

const NONCE_TEXT = /^[A-Za-z0-9_-]+$/;
const NO_BYTES = new Uint8Array(0);
const TWO_32 = 2 ** 32;

/** The issue time as 8 bytes big-endian (what DataView.setBigUint64 writes), without a BigInt. */
function writeTime(out: Buffer, ms: number): void {
  out.writeUInt32BE(Math.floor(ms / TWO_32) >>> 0, 0);
  out.writeUInt32BE(ms % TWO_32, 4);
}

function readTime(bytes: Buffer): number {
  return bytes.readUInt32BE(0) * TWO_32 + bytes.readUInt32BE(4);
}

// Comparisons whose time does not depend on where a secret value first differs.

/**
 * True when `length` bytes of `a` from `aAt` equal those of `b` from `bAt` (both in range). Every
 * byte is looked at, so the time tells nothing about how much of a MAC an attacker got right.
 * Written out rather than `crypto.timingSafeEqual`, which needs two views of equal length and costs
 * a native call per check.
 */
export function equalBytes(
  a: Uint8Array,
  aAt: number,
  b: Uint8Array,
  bAt: number,
  length: number,
): boolean {
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= a[aAt + i]! ^ b[bAt + i]!;
  return diff === 0;
}

/**
 * True when `given` spells the lower-case hex string `expected`, in either case (a digest
 * `response` is LHEX, RFC 7616 §3.4.1, but some clients send capitals). Only the lengths, which
 * are public, decide early.
 *
 * @example
 * ```ts
 * equalHexText("0a1f", "0A1F"); // true
 * ```
 */
export function equalHexText(expected: string, given: string): boolean {
  if (expected.length !== given.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    const c = given.charCodeAt(i);
    // A-F folded to a-f only: folding every character would make other ones alias hex digits.
    diff |= expected.charCodeAt(i) ^ (c >= 0x41 && c <= 0x46 ? c | 0x20 : c);
  }
  return diff === 0;
}

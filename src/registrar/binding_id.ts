// Binding ids: short, stable names for bindings so admins never type a whole contact URI.

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/** FNV-1a over the UTF-16 code units of `text`; 32 bits. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A 6-character id derived from the AoR and contact URI, so the same phone keeps the same id
 * across re-registrations. `taken` holds the ids already used in this AoR; on a collision the
 * id is derived again with a counter appended.
 *
 * @example
 * ```ts
 * bindingId("sip:bob@office", "sip:bob@10.0.0.5:5060", new Set()); // e.g. "k3v9qa"
 * ```
 */
export function bindingId(
  aor: string,
  contactUri: string,
  taken: { has(id: string): boolean },
): string {
  for (let attempt = 0;; attempt++) {
    let n = fnv1a32(`${aor}\n${contactUri}\n${attempt}`);
    let id = "";
    for (let i = 0; i < 6; i++) {
      id += ALPHABET[n & 31];
      n >>>= 5;
    }
    if (!taken.has(id)) return id;
  }
}

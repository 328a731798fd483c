// detach: a copy of a string that keeps no larger string alive.
import { Buffer } from "node:buffer";

/**
 * `text` in storage of its own. A name or value from `parseMessage` is a slice of the datagram's
 * decoded text, and the runtime keeps the whole text alive as long as the slice (≈ 0.7 KB for a
 * REGISTER with credentials, against 43 bytes for its nonce). Tables that keep such strings for
 * minutes (the ban tracker's failures and bans) store a detached copy instead.
 *
 * @example
 * ```ts
 * failures.set(detach(username), count);
 * ```
 */
export function detach(text: string): string {
  for (let i = 0; i < text.length; i++) {
    // Past Latin-1, a UTF-16 round trip keeps every code unit (lone surrogates too).
    if (text.charCodeAt(i) > 0xff) return Buffer.from(text, "utf16le").toString("utf16le");
  }
  return Buffer.from(text, "latin1").toString("latin1");
}

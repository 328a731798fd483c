// SipParseError: the one error type the SIP layer throws for bad input.
import type { SipHeaders } from "./sip_headers.ts";

/**
 * What survived of a request too broken to process: enough, when its Via, From, To, Call-ID and
 * CSeq fields were split out, to address a stateless 400 (RFC 3261 §8.2.6, §18.2.2).
 */
export interface RecoveredRequest {
  method: string;
  requestUri: string;
  headers: SipHeaders;
}

/**
 * Thrown for any input the SIP layer cannot accept. `reasonPhrase` is the text of the 400 (or
 * `status`, e.g. 416, 413, 505) sent back; `recovered` is set when a response can be addressed.
 *
 * @example
 * ```ts
 * try { parseMessage(bytes); } catch (e) { if (e instanceof SipParseError) reply(e.status, e.reasonPhrase); }
 * ```
 */
export class SipParseError extends SyntaxError {
  override name = "SipParseError";
  /** The SIP status to answer with when the request can be answered: 400 unless said otherwise. */
  readonly status: number;
  /** Short reason phrase for the status line, e.g. "Missing Call-ID header". */
  readonly reasonPhrase: string;
  recovered: RecoveredRequest | undefined;

  constructor(
    message: string,
    options: { reasonPhrase?: string; status?: number; recovered?: RecoveredRequest } = {},
  ) {
    super(message);
    this.status = options.status ?? 400;
    this.reasonPhrase = options.reasonPhrase ?? message;
    this.recovered = options.recovered;
  }
}

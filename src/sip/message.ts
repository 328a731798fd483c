// SIP message types shared by every layer: requests, responses and their header fields.
import type { NameAddr } from "./name_addr.ts";
import type { SipHeaders } from "./sip_headers.ts";
import type { SipUri } from "./sip_uri.ts";
import type { Via } from "./via.ts";

/** A parsed SIP request (RFC 3261 §7.1). Header values are kept as text; typed parsers read them. */
export interface SipRequest {
  readonly type: "request";
  /** Method token exactly as sent; methods are case-sensitive (RFC 3261 §7.1). */
  method: string;
  /** Request-URI as sent (raw text). */
  requestUri: string;
  headers: SipHeaders;
  /** Body bytes, exactly Content-Length long (RFC 3261 §18.3). */
  body: Uint8Array;
  /**
   * The first Via element as `parseMessage` read it while checking every Via, so later layers do
   * not parse it again. Read-only by contract; absent on requests built by hand.
   */
  topVia?: Via;
  /**
   * The Request-URI, To and From as `parseMessage` parsed them to check them (§8.1.1), kept for
   * the same reason as `topVia`: read-only by contract, absent on requests built by hand.
   */
  uri?: SipUri;
  to?: NameAddr;
  from?: NameAddr;
}

/** A parsed or built SIP response (RFC 3261 §7.2). */
export interface SipResponse {
  readonly type: "response";
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

/** Where a message came from or goes to. `transport` is lower case ("udp"). */
export interface SipEndpoint {
  address: string;
  port: number;
  transport: string;
}

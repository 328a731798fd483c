// Binding and BindingEvent: what the location service stores for one contact of one AoR.

/** One contact bound to an Address of Record (RFC 3261 §10), with what admins need later. */
export interface Binding {
  /** Short stable id, unique within the AoR, derived from the AoR and contact URI (a few chars). */
  id: string;
  /** The AoR key, `sip:user@host` with the host lower-cased (RFC 3261 §10.3 step 5). */
  aor: string;
  /** The Contact header element exactly as the phone sent it; echoed verbatim in every 200. */
  contact: string;
  /** The URI inside that Contact element, as sent. */
  contactUri: string;
  /** The `q` parameter (0..1), or null when absent. */
  q: number | null;
  callId: string;
  cseq: number;
  /** Granted expiry in seconds at the last change, as told to the phone. */
  expiresSeconds: number;
  /** Absolute expiry: refreshedAtMs + expiresSeconds * 1000. */
  expiresAtMs: number;
  registeredAtMs: number;
  refreshedAtMs: number;
  /** Where the REGISTER really came from (the NAT-seen address), not the Contact. */
  sourceAddress: string;
  sourcePort: number;
  /** Lower case: "udp", "tcp", "tls". */
  transport: string;
  userAgent: string | null;
  /** Path header values (RFC 3327), comma-joined as received, or null. */
  path: string | null;
  /** The `+sip.instance` Contact parameter (RFC 5626), or null. */
  instance: string | null;
  /** The `reg-id` Contact parameter (RFC 5626), or null. */
  regId: number | null;
}

/** What happened to a binding, for `inspect` and `events`. */
export type BindingEventKind =
  | "registered"
  | "refreshed"
  | "unregistered"
  | "expired"
  | "kicked"
  | "replaced"
  | "evicted"
  | "auth-failed";

/** One entry of an AoR's history. */
export interface BindingEvent {
  atMs: number;
  aor: string;
  kind: BindingEventKind;
  /** The binding id concerned, or null (e.g. auth-failed). */
  bindingId: string | null;
  contact: string | null;
  /** "address:port" the request came from, or null (CLI actions, sweeper). */
  source: string | null;
  /** Free text: reason, old → new values, the actor ("cli"). */
  detail: string | null;
}

/** A stored event with its sequence number (monotonic across the whole database). */
export interface StoredBindingEvent extends BindingEvent {
  seq: number;
}

// Non-INVITE server transactions (RFC 3261 §17.2.2): retransmissions absorbed, answers cached.
import type { SipRequest } from "../sip/message.ts";
import { tagOf } from "../sip/name_addr.ts";
import type { Via } from "../sip/via.ts";

/** RFC 3261 §17.1.1.1: T1, the round-trip estimate. */
export const T1_MS = 500;
/** RFC 3261 §17.2.2: Timer J is 64*T1 for unreliable transports (0 for reliable ones). */
export const TIMER_J_MS = 64 * T1_MS;

/** Where and what a completed transaction answers to every retransmission of its request. */
export interface CachedResponse {
  bytes: Uint8Array;
  address: string;
  port: number;
}

/** A transaction's state; "terminated" ones are simply gone from the table. */
export type TransactionState =
  | { state: "trying" }
  | { state: "completed"; response: CachedResponse };

interface Entry {
  key: string;
  state: "trying" | "completed";
  response: CachedResponse | null;
  /** When the entry leaves the table: Timer J after completion, a safety limit while trying. */
  deadlineMs: number;
}

/**
 * The transaction key of a request (RFC 3261 §17.2.3): with an RFC 3261 branch (magic cookie
 * "z9hG4bK"), the branch, the sent-by and the method (ACK matches INVITE); otherwise the RFC 2543
 * fallback of Request-URI, To tag, From tag, Call-ID, CSeq and the top Via. To and From are
 * parsed only for that fallback: RFC 3261 requests never pay for it.
 */
export function transactionKey(request: SipRequest, topVia: Via): string {
  const method = request.method === "ACK" ? "INVITE" : request.method;
  const sentBy = `${topVia.host}:${topVia.port ?? ""}`;
  if (topVia.branch !== null && topVia.branch.startsWith("z9hG4bK")) {
    return `${topVia.branch}\x00${sentBy}\x00${method}`;
  }
  return [
    "2543",
    request.requestUri,
    tagOf(request.headers.get("To") ?? "") ?? "",
    tagOf(request.headers.get("From") ?? "") ?? "",
    request.headers.get("Call-ID") ?? "",
    request.headers.get("CSeq") ?? "",
    request.headers.getAll("Via")[0] ?? "",
  ].join("\x00");
}

/** How often `begin` sweeps expired transactions (`lookup` ignores them meanwhile). */
const SWEEP_EVERY_MS = 100;

/** Settings of the transaction table. */
export interface ServerTransactionOptions {
  /** How long a completed transaction answers retransmissions (Timer J). */
  timerJMs: number;
  /** Most transactions kept at once; the oldest are evicted beyond it, so memory is bounded. */
  maxTransactions: number;
}

/**
 * The table of live non-INVITE server transactions. A request's first arrival creates an entry in
 * "trying"; the answer moves it to "completed", where every retransmission gets the same bytes
 * until Timer J fires. Entries are kept in insertion order (a completed entry is moved to the
 * end), so expiry and eviction only ever look at the front.
 *
 * @example
 * ```ts
 * const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 100_000 });
 * if (table.lookup(key, now) === null) { table.begin(key, now); ... table.complete(key, response, now); }
 * ```
 */
export class ServerTransactions {
  readonly #entries = new Map<string, Entry>();
  readonly #options: ServerTransactionOptions;
  #evicted = 0;
  #nextSweepMs = -Infinity;

  constructor(options: ServerTransactionOptions) {
    this.#options = options;
  }

  /** The state of the transaction this request belongs to, or null for a new request. */
  lookup(key: string, nowMs: number): TransactionState | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    if (entry.deadlineMs <= nowMs) {
      this.#entries.delete(key);
      return null;
    }
    return entry.state === "completed"
      ? { state: "completed", response: entry.response! }
      : { state: "trying" };
  }

  /**
   * Records a new transaction in "trying" (§17.2.2: the request was passed to the TU). Expired
   * entries are swept here at most every SWEEP_EVERY_MS: a sweep walks the map from its front,
   * which costs more the more entries were deleted there since the map last compacted.
   */
  begin(key: string, nowMs: number): void {
    if (nowMs >= this.#nextSweepMs) this.sweep(nowMs);
    while (this.#entries.size >= this.#options.maxTransactions) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
      this.#evicted++;
    }
    // A TU that never answers must not pin the entry: trying lasts at most Timer J as well.
    this.#entries.set(key, {
      key,
      state: "trying",
      response: null,
      deadlineMs: nowMs + this.#options.timerJMs,
    });
  }

  /** The TU's final answer: cache it for retransmissions and start Timer J (§17.2.2). */
  complete(key: string, response: CachedResponse, nowMs: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return; // evicted meanwhile: nothing to cache
    this.#entries.delete(key);
    if (this.#options.timerJMs <= 0) return; // reliable transport: terminated at once
    entry.state = "completed";
    entry.response = response;
    entry.deadlineMs = nowMs + this.#options.timerJMs;
    this.#entries.set(key, entry);
  }

  /** Drops a transaction (e.g. the TU failed and sent nothing worth repeating). */
  abandon(key: string): void {
    this.#entries.delete(key);
  }

  /** Terminates every transaction whose timer has fired. */
  sweep(nowMs: number): void {
    this.#nextSweepMs = nowMs + SWEEP_EVERY_MS;
    for (const entry of this.#entries.values()) {
      if (entry.deadlineMs > nowMs) {
        // Completed entries sit in deadline order; a trying one may be older, so keep looking
        // only past trying entries.
        if (entry.state === "completed") break;
        continue;
      }
      this.#entries.delete(entry.key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** How many transactions were pushed out by the cap (a flood indicator). */
  get evicted(): number {
    return this.#evicted;
  }

  /** Disposes every transaction. */
  close(): void {
    this.#entries.clear();
  }
}

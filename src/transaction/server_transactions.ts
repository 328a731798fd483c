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
  /** Its current place in the expiry queue. */
  slot: QueueSlot | null;
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

/** Settings of the transaction table. */
export interface ServerTransactionOptions {
  /** How long a completed transaction answers retransmissions (Timer J). */
  timerJMs: number;
  /** Most transactions kept at once; the oldest are evicted beyond it, so memory is bounded. */
  maxTransactions: number;
}

/** A place in the expiry queue; stale once its entry left the table or was queued again. */
interface QueueSlot {
  entry: Entry;
}

/**
 * The table of live non-INVITE server transactions. A request's first arrival creates an entry in
 * "trying"; the answer moves it to "completed", where every retransmission gets the same bytes
 * until Timer J fires.
 *
 * Entries are found by key in a Map and expire from a queue in deadline order (a completed entry
 * is queued again with its Timer J deadline; its older slot goes stale), so sweeping and evicting
 * the oldest only ever look at the queue's head: O(1) per request however many transactions are
 * live. (Walking a Map from its front instead costs more the more entries were deleted there.)
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
  /** Slots in deadline order from `#head` on; the consumed prefix is cut off now and then. */
  #queue: QueueSlot[] = [];
  #head = 0;
  #evicted = 0;

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

  /** Records a new transaction in "trying" (§17.2.2: the request was passed to the TU). */
  begin(key: string, nowMs: number): void {
    this.sweep(nowMs);
    while (this.#entries.size >= this.#options.maxTransactions) {
      const oldest = this.#shift();
      if (oldest === null) break;
      this.#entries.delete(oldest.key);
      this.#evicted++;
    }
    // A TU that never answers must not pin the entry: trying lasts at most Timer J as well.
    const entry: Entry = {
      key,
      state: "trying",
      response: null,
      deadlineMs: nowMs + this.#options.timerJMs,
      slot: null,
    };
    this.#entries.set(key, entry);
    this.#enqueue(entry);
  }

  /** The TU's final answer: cache it for retransmissions and start Timer J (§17.2.2). */
  complete(key: string, response: CachedResponse, nowMs: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return; // evicted meanwhile: nothing to cache
    if (this.#options.timerJMs <= 0) { // reliable transport: terminated at once
      this.#entries.delete(key);
      return;
    }
    entry.state = "completed";
    entry.response = response;
    entry.deadlineMs = nowMs + this.#options.timerJMs;
    this.#enqueue(entry);
  }

  /** Drops a transaction (e.g. the TU failed and sent nothing worth repeating). */
  abandon(key: string): void {
    this.#entries.delete(key);
  }

  /** Terminates every transaction whose timer has fired. */
  sweep(nowMs: number): void {
    for (;;) {
      const slot = this.#liveHead();
      if (slot === null || slot.entry.deadlineMs > nowMs) return; // a live slot's deadline
      this.#advance();
      this.#entries.delete(slot.entry.key);
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
    this.#queue = [];
    this.#head = 0;
  }

  #enqueue(entry: Entry): void {
    const slot = { entry };
    entry.slot = slot;
    this.#queue.push(slot);
  }

  /** The first slot that still stands for a live entry, skipping (and consuming) stale ones. */
  #liveHead(): QueueSlot | null {
    while (this.#head < this.#queue.length) {
      const slot = this.#queue[this.#head]!;
      const entry = slot.entry;
      if (entry.slot === slot && this.#entries.get(entry.key) === entry) return slot;
      this.#advance();
    }
    this.#queue = [];
    this.#head = 0;
    return null;
  }

  /** Removes and returns the oldest live entry. */
  #shift(): Entry | null {
    const slot = this.#liveHead();
    if (slot === null) return null;
    this.#advance();
    return slot.entry;
  }

  /** Consumes the head slot; cuts the consumed prefix off once it is most of the array. */
  #advance(): void {
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

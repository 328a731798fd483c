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

/** Record states; a "gone" record is dead space the ring's head skips. */
const GONE = 0;
const TRYING = 1;
const COMPLETED = 2;
/** Sizes an empty table starts with and returns to (powers of two). */
const INITIAL_RECORDS = 1024;
const INITIAL_KEY_UNITS = 64 * 1024;
const INITIAL_ANSWER_BYTES = 256 * 1024;

/**
 * The table of live non-INVITE server transactions. A request's first arrival creates an entry in
 * "trying"; the answer moves it to "completed", where every retransmission gets the same bytes
 * until Timer J fires.
 *
 * It holds no JavaScript object per transaction, only typed arrays: records in a ring, in deadline
 * order (a completed transaction is appended again with its Timer J deadline and its earlier
 * record marked gone), so that sweeping and evicting the oldest only ever look at the ring's head;
 * an open-addressing hash table of ring slots (linear probing, at most half full) to find a key;
 * the keys and the answers' addresses as UTF-16 code units in a second ring, the answers' bytes in
 * a third. Why: with each of 30,000 transactions a Map entry, an entry object, queue slots, a key
 * string and its answer's Uint8Array, all living for Timer J, the collector cost 7–10 µs per
 * REGISTER under load (bench/RESULTS.md, seventh sitting). Everything is rebuilt, smaller, once
 * the load is gone.
 *
 * @example
 * ```ts
 * const table = new ServerTransactions({ timerJMs: TIMER_J_MS, maxTransactions: 100_000 });
 * if (table.lookup(key, now) === null) { table.begin(key, now); ... table.complete(key, response, now); }
 * ```
 */
export class ServerTransactions {
  readonly #options: ServerTransactionOptions;
  /** Random per table, so that nobody can choose keys that share a probe chain. */
  readonly #seed = (Math.random() * 0x100000000) | 0;
  #live = 0;
  #evicted = 0;

  // The record ring. Positions count up for ever; a record's slot is `position & #mask`.
  #mask = 0;
  #head = 0;
  #tail = 0;
  #state = new Uint8Array(0);
  #deadlineMs = new Float64Array(0);
  #hash = new Int32Array(0);
  /** Where the key's code units start in `#units`; a completed record's address follows. */
  #keyAt = new Float64Array(0);
  #keyLength = new Uint32Array(0);
  #addressLength = new Uint16Array(0);
  #port = new Uint16Array(0);
  /** Where a completed record's answer starts in `#octets`. */
  #bytesAt = new Float64Array(0);
  #bytesLength = new Uint32Array(0);

  /** Hash table of slot + 1 (0 = empty), twice the record ring's size. */
  #index = new Int32Array(0);
  #indexMask = 0;

  #units = new Ring((size) => new Uint16Array(size), 0);
  #octets = new Ring((size) => new Uint8Array(size), 0);

  /** The last key hashed, since `lookup`, `begin` and `complete` come with the same string. */
  #lastKey: string | null = null;
  #lastHash = 0;

  constructor(options: ServerTransactionOptions) {
    this.#options = options;
    this.#rebuild(INITIAL_RECORDS);
  }

  /** The state of the transaction this request belongs to, or null for a new request. */
  lookup(key: string, nowMs: number): TransactionState | null {
    const slot = this.#find(key, this.#hashOf(key));
    if (slot < 0) return null;
    if (this.#deadlineMs[slot]! <= nowMs) {
      this.#kill(slot);
      return null;
    }
    if (this.#state[slot] !== COMPLETED) return { state: "trying" };
    // Copies: the rings are written over later, and a datagram held for sending must not change.
    const addressAt = this.#keyAt[slot]! + this.#keyLength[slot]!;
    let address = "";
    for (let i = 0; i < this.#addressLength[slot]!; i++) {
      address += String.fromCharCode(this.#units.at(addressAt + i));
    }
    const bytes = new Uint8Array(this.#bytesLength[slot]!);
    const bytesAt = this.#bytesAt[slot]!;
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.#octets.at(bytesAt + i);
    return { state: "completed", response: { bytes, address, port: this.#port[slot]! } };
  }

  /** Records a new transaction in "trying" (§17.2.2: the request was passed to the TU). */
  begin(key: string, nowMs: number): void {
    // A TU that never answers must not pin the entry: trying lasts at most Timer J as well.
    this.#start(key, TRYING, null, nowMs);
  }

  /**
   * `begin` and `complete` in one, for an answer the TU gave before any retransmission could
   * arrive: the transaction starts in "completed", one record instead of two.
   */
  answer(key: string, response: CachedResponse, nowMs: number): void {
    if (this.#options.timerJMs <= 0) { // reliable transport: terminated at once
      this.abandon(key);
      return;
    }
    this.#start(key, COMPLETED, response, nowMs);
  }

  #start(key: string, state: number, response: CachedResponse | null, nowMs: number): void {
    this.sweep(nowMs);
    while (this.#live >= this.#options.maxTransactions) {
      const oldest = this.#liveHead();
      if (oldest < 0) break;
      this.#kill(oldest);
      this.#evicted++;
    }
    const hash = this.#hashOf(key);
    const existing = this.#find(key, hash);
    if (existing >= 0) this.#kill(existing); // begun again: it starts over
    this.#makeRoom();
    const slot = this.#push(hash, state, nowMs + this.#options.timerJMs, key, -1, response);
    this.#insert(slot);
  }

  /** The TU's final answer: cache it for retransmissions and start Timer J (§17.2.2). */
  complete(key: string, response: CachedResponse, nowMs: number): void {
    const hash = this.#hashOf(key);
    this.#makeRoom(); // before a slot is taken: making room moves records
    const slot = this.#find(key, hash);
    if (slot < 0) return; // evicted meanwhile: nothing to cache
    if (this.#options.timerJMs <= 0) { // reliable transport: terminated at once
      this.#kill(slot);
      return;
    }
    const deadlineMs = nowMs + this.#options.timerJMs;
    const moved = this.#push(hash, COMPLETED, deadlineMs, null, slot, response);
    this.#kill(slot);
    this.#insert(moved);
  }

  /** Drops a transaction (e.g. the TU failed and sent nothing worth repeating). */
  abandon(key: string): void {
    const slot = this.#find(key, this.#hashOf(key));
    if (slot >= 0) this.#kill(slot);
  }

  /** Terminates every transaction whose timer has fired; shrinks the table after a burst. */
  sweep(nowMs: number): void {
    for (; this.#head < this.#tail; this.#head++) {
      const slot = this.#head & this.#mask;
      if (this.#state[slot] === GONE) continue;
      if (this.#deadlineMs[slot]! > nowMs) break;
      this.#kill(slot);
    }
    const records = this.#mask + 1;
    if (records > INITIAL_RECORDS && this.#live * 16 < records) {
      this.#rebuild(Math.max(INITIAL_RECORDS, powerOfTwo(4 * this.#live)));
    } else if (
      this.#live === 0 &&
      (this.#units.size > INITIAL_KEY_UNITS || this.#octets.size > INITIAL_ANSWER_BYTES)
    ) {
      this.#rebuild(INITIAL_RECORDS);
    }
  }

  get size(): number {
    return this.#live;
  }

  /** How many transactions were pushed out by the cap (a flood indicator). */
  get evicted(): number {
    return this.#evicted;
  }

  /** Disposes every transaction. */
  close(): void {
    this.#head = this.#tail = this.#live = 0;
    this.#rebuild(INITIAL_RECORDS);
  }

  #hashOf(key: string): number {
    if (key === this.#lastKey) return this.#lastHash;
    // FNV-1a over the code units from a random basis, then murmur3's finalizer for the low bits.
    let h = this.#seed ^ 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    this.#lastKey = key;
    this.#lastHash = h;
    return h;
  }

  /** The slot of the live record with this key, or -1. */
  #find(key: string, hash: number): number {
    const index = this.#index;
    const mask = this.#indexMask;
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const ref = index[i]!;
      if (ref === 0) return -1;
      if (this.#hash[ref - 1] === hash && this.#keyEquals(ref - 1, key)) return ref - 1;
    }
  }

  #keyEquals(slot: number, key: string): boolean {
    const length = this.#keyLength[slot]!;
    if (length !== key.length) return false;
    const at = this.#keyAt[slot]!;
    for (let i = 0; i < length; i++) {
      if (this.#units.at(at + i) !== key.charCodeAt(i)) return false;
    }
    return true;
  }

  /** Room for one more record: once the ring is full, it is rebuilt at four times the live count. */
  #makeRoom(): void {
    if (this.#tail - this.#head > this.#mask) {
      this.#rebuild(Math.max(INITIAL_RECORDS, powerOfTwo(4 * (this.#live + 1))));
    }
  }

  /**
   * Appends a record (the ring has room) with `key`'s code units, or with those of the record in
   * `copyOf` when key is null, and the answer if any; returns its slot. The index is the caller's.
   */
  #push(
    hash: number,
    state: number,
    deadlineMs: number,
    key: string | null,
    copyOf: number,
    answer: CachedResponse | null,
  ): number {
    const units = this.#units;
    const keyLength = key !== null ? key.length : this.#keyLength[copyOf]!;
    const address = answer?.address ?? "";
    units.reserve(this.#oldest(this.#keyAt, units), keyLength + address.length);
    const keyAt = units.tail;
    if (key !== null) {
      for (let i = 0; i < keyLength; i++) units.append(key.charCodeAt(i));
    } else {
      const from = this.#keyAt[copyOf]!;
      for (let i = 0; i < keyLength; i++) units.append(units.at(from + i));
    }
    for (let i = 0; i < address.length; i++) units.append(address.charCodeAt(i));
    const octets = this.#octets;
    const bytes = answer?.bytes ?? EMPTY;
    octets.reserve(this.#oldest(this.#bytesAt, octets), bytes.length);
    const bytesAt = octets.tail;
    octets.appendAll(bytes);

    const slot = this.#tail & this.#mask;
    this.#tail++;
    this.#state[slot] = state;
    this.#deadlineMs[slot] = deadlineMs;
    this.#hash[slot] = hash;
    this.#keyAt[slot] = keyAt;
    this.#keyLength[slot] = keyLength;
    this.#addressLength[slot] = address.length;
    this.#port[slot] = answer?.port ?? 0;
    this.#bytesAt[slot] = bytesAt;
    this.#bytesLength[slot] = bytes.length;
    this.#live++;
    return slot;
  }

  /** Where the head record's data starts in `ring` (`at` holds the positions): still in use. */
  #oldest(at: Float64Array, ring: Ring): number {
    return this.#head < this.#tail ? at[this.#head & this.#mask]! : ring.tail;
  }

  /** Marks a live record gone and takes it out of the index. */
  #kill(slot: number): void {
    this.#remove(slot);
    this.#state[slot] = GONE;
    this.#live--;
  }

  /** The slot of the oldest live record, moving the head past gone ones; -1 when empty. */
  #liveHead(): number {
    for (; this.#head < this.#tail; this.#head++) {
      const slot = this.#head & this.#mask;
      if (this.#state[slot] !== GONE) return slot;
    }
    return -1;
  }

  #insert(slot: number): void {
    const index = this.#index;
    const mask = this.#indexMask;
    let i = this.#hash[slot]! & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /** Deletes a slot from the index, shifting later members of its probe run back (no tombstones). */
  #remove(slot: number): void {
    const index = this.#index;
    const mask = this.#indexMask;
    let hole = this.#hash[slot]! & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const ref = index[j]!;
      const home = this.#hash[ref - 1]! & mask;
      // It may move to the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        index[hole] = ref;
        hole = j;
      }
    }
    index[hole] = 0;
  }

  /**
   * Moves the live records, in order, into a new record ring of `size` (a power of two above the
   * live count), and the code units and bytes from the first live record's on into rings of twice
   * that span, at the same positions (copied in bulk): to grow, to drop gone records and to give
   * memory back. Slots change, so the index is rebuilt too.
   */
  #rebuild(size: number): void {
    const first = this.#liveHead();
    const unitsFrom = first < 0 ? this.#units.tail : this.#keyAt[first]!;
    const octetsFrom = first < 0 ? this.#octets.tail : this.#bytesAt[first]!;
    this.#units = this.#units.copy(unitsFrom, INITIAL_KEY_UNITS);
    this.#octets = this.#octets.copy(octetsFrom, INITIAL_ANSWER_BYTES);
    const old = {
      mask: this.#mask,
      state: this.#state,
      deadlineMs: this.#deadlineMs,
      hash: this.#hash,
      keyAt: this.#keyAt,
      keyLength: this.#keyLength,
      addressLength: this.#addressLength,
      port: this.#port,
      bytesAt: this.#bytesAt,
      bytesLength: this.#bytesLength,
    };
    this.#mask = size - 1;
    this.#state = new Uint8Array(size);
    this.#deadlineMs = new Float64Array(size);
    this.#hash = new Int32Array(size);
    this.#keyAt = new Float64Array(size);
    this.#keyLength = new Uint32Array(size);
    this.#addressLength = new Uint16Array(size);
    this.#port = new Uint16Array(size);
    this.#bytesAt = new Float64Array(size);
    this.#bytesLength = new Uint32Array(size);
    this.#index = new Int32Array(size * 2);
    this.#indexMask = size * 2 - 1;
    let slot = 0;
    for (let p = this.#head; p < this.#tail; p++) {
      const s = p & old.mask;
      if (old.state[s] === GONE) continue;
      this.#state[slot] = old.state[s]!;
      this.#deadlineMs[slot] = old.deadlineMs[s]!;
      this.#hash[slot] = old.hash[s]!;
      this.#keyAt[slot] = old.keyAt[s]!;
      this.#keyLength[slot] = old.keyLength[s]!;
      this.#addressLength[slot] = old.addressLength[s]!;
      this.#port[slot] = old.port[s]!;
      this.#bytesAt[slot] = old.bytesAt[s]!;
      this.#bytesLength[slot] = old.bytesLength[s]!;
      this.#insert(slot);
      slot++;
    }
    this.#head = 0;
    this.#tail = slot;
  }
}

/**
 * Elements addressed by positions that count up for ever (`position & mask` is the index), from
 * the oldest one still in use to `tail`; doubles when an append would overwrite that one.
 */
class Ring {
  #data: Uint8Array | Uint16Array;
  #mask: number;
  tail = 0;

  constructor(readonly make: (size: number) => Uint8Array | Uint16Array, size: number) {
    this.#data = make(size);
    this.#mask = size - 1;
  }

  get size(): number {
    return this.#mask + 1;
  }

  at(position: number): number {
    return this.#data[position & this.#mask]!;
  }

  append(value: number): void {
    this.#data[this.tail & this.#mask] = value;
    this.tail++;
  }

  /** Appends bytes in at most two copies (one when they do not wrap around). */
  appendAll(values: Uint8Array): void {
    const start = this.tail & this.#mask;
    const first = Math.min(values.length, this.#mask + 1 - start);
    this.#data.set(first === values.length ? values : values.subarray(0, first), start);
    if (first < values.length) this.#data.set(values.subarray(first), 0);
    this.tail += values.length;
  }

  /** Makes room for `length` more elements, keeping those from position `oldest` on. */
  reserve(oldest: number, length: number): void {
    const needed = this.tail - oldest + length;
    if (needed <= this.#mask + 1) return;
    const grown = this.#copyInto(oldest, powerOfTwo(needed));
    this.#data = grown.#data;
    this.#mask = grown.#mask;
  }

  /** A new ring, twice the span from `oldest` to the tail (at least `minimum`), with that span. */
  copy(oldest: number, minimum: number): Ring {
    return this.#copyInto(oldest, Math.max(minimum, powerOfTwo(2 * (this.tail - oldest))));
  }

  /** Elements from `oldest` on into a new ring of `size`, at the same positions, in bulk. */
  #copyInto(oldest: number, size: number): Ring {
    const ring = new Ring(this.make, size);
    for (let p = oldest; p < this.tail;) {
      const from = p & this.#mask;
      const to = p & (size - 1);
      const n = Math.min(this.tail - p, this.#mask + 1 - from, size - to);
      ring.#data.set(this.#data.subarray(from, from + n), to);
      p += n;
    }
    ring.tail = this.tail;
    return ring;
  }
}

const EMPTY = new Uint8Array(0);

/** The smallest power of two that is at least `n` (and at least 1). */
function powerOfTwo(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

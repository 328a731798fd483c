// SqliteBindingStore: the SQLite location service; updates queued together share one commit.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from "node:timers";
import type { Binding, BindingEvent, StoredBindingEvent } from "../registrar/binding.ts";
import type { AorChange, BindingStore } from "../registrar/binding_store.ts";
import { DEFAULT_HISTORY_PER_AOR, EventLog } from "./event_log.ts";
import { HistoryFile, historyPathOf, moveEventsToHistory } from "./history_file.ts";
import type { HistorySink } from "./history_thread.ts";
import { openDataDirectory } from "./open_database.ts";

export { DEFAULT_HISTORY_PER_AOR };

/** Operations per write transaction by default; a longer queue is split into several. */
export const DEFAULT_MAX_BATCH = 512;

/** Deferred refreshes and history prunes written per batch (~1 ms of work) by `flushDeferred`. */
const WRITE_BEHIND_CHUNK = 256;

/** Default `deferredWriteMs`: plain refreshes are written within this many ms. */
export const DEFAULT_DEFERRED_WRITE_MS = 2000;

/**
 * Default `commitWindowMs`. A phone answers a 401 within a fraction of a millisecond on a LAN,
 * so the REGISTERs that follow one burst of challenges come in over a few event-loop turns; a
 * turn's own batch is often one of them (bench/RESULTS.md, seventeenth sitting).
 */
export const DEFAULT_COMMIT_WINDOW_MS = 1;

/** A batch this large commits at once: waiting would gain it little and cost it latency. */
export const COMMIT_WINDOW_OPERATIONS = 16;

/** A store that committed this recently is busy: only then may a small batch wait (see above). */
const BUSY_WITHIN_MS = 10;

/** Options of `SqliteBindingStore`. */
export interface SqliteBindingStoreOptions {
  /** Events kept per AoR (the newest ones); default 50. 0 keeps none. */
  historyPerAor?: number;
  /** Most operations committed in one transaction; default 512. */
  maxBatch?: number;
  /** Close the database in `close()`; default false (the caller owns it). */
  ownsDatabase?: boolean;
  /**
   * How long a deferrable change (a plain refresh, see AorChange.deferrable) may wait before it
   * is written, batched with the others; default 2000. 0 writes every change at once. Event
   * histories grown past `historyPerAor` are pruned on the same schedule.
   */
  deferredWriteMs?: number;
  /**
   * Group commit under load: when a turn ends with fewer than COMMIT_WINDOW_OPERATIONS writes
   * queued and the last commit was less than 10 ms ago, the batch waits up to this many ms (or
   * until that many are queued) for others to share its commit and fsync; default 1. An idle
   * store, a batch that size, or 0 here commits at the end of the turn.
   */
  commitWindowMs?: number;
  /**
   * Where the events go once their batch committed (a data directory's history file, or the
   * server's history thread), instead of into this database's own events table inside the batch
   * (in-memory databases). Reads of `events()` go there too.
   */
  history?: HistorySink;
  /** Close `history` in `close()`; default false (the caller owns it). */
  ownsHistory?: boolean;
}

/** Options of `openBindingStore`. */
export interface OpenBindingStoreOptions
  extends Omit<SqliteBindingStoreOptions, "ownsDatabase" | "ownsHistory" | "history"> {
  /** How long to wait for another process's write lock; default 5000. */
  busyTimeoutMs?: number;
}

/** Counters for tests and metrics; they only grow. */
export interface SqliteBindingStoreStats {
  /** Write transactions committed by the batching path. */
  transactions: number;
  /** Operations (update, purgeExpired, recordEvents) committed. */
  operations: number;
  /** Operations rejected on their own (their plan or write threw) while their batch committed. */
  rejectedOperations: number;
  /** Batches whose BEGIN or COMMIT failed, every operation of which was rejected. */
  failedTransactions: number;
  /** Deferred refreshes written, and those dropped because their binding was gone by then. */
  deferredWritten: number;
  deferredDropped: number;
  /**
   * Events of committed changes that the `history` sink refused (it threw: a locked or full
   * history file); their changes stand.
   */
  eventsLost: number;
}

/** A refresh acknowledged but not yet written, with its events. */
interface DeferredRefresh {
  binding: Binding;
  events: BindingEvent[];
}

function deferKey(aor: string, id: string): string {
  return `${aor}\x00${id}`;
}

/** One queued write: runs inside a batch transaction, rolled back alone when it throws. */
interface Operation {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Column order matters: `rowToBinding` reads rows of this select as arrays, by position. */
const BINDING_COLUMNS = "aor, id, contact, contact_uri, q, call_id, cseq, expires_seconds, " +
  "expires_at_ms, registered_at_ms, refreshed_at_ms, source_address, source_port, transport, " +
  "user_agent, path, instance, reg_id";
/**
 * The location service on SQLite (see `BindingStore` for the contract).
 *
 * Writes are group-committed: `update`, `purgeExpired` and `recordEvents` queue an operation and
 * schedule one flush with `setImmediate`, so every operation queued during one event-loop turn
 * shares one `BEGIN IMMEDIATE … COMMIT` — one fsync per batch under `synchronous=FULL`. A busy
 * store lets a small batch wait up to `commitWindowMs` for more (see the option). If an
 * operation's plan or its writes throw, only it is rolled back and rejected; its batch-mates
 * commit (a plan that throws has written nothing; a write that throws sends the batch round again
 * with a SAVEPOINT per operation). Operations run in queue order, so two updates of one AoR in a
 * batch see each other's effects. Promises settle only after COMMIT returned; if BEGIN or COMMIT
 * fails, every operation of the batch is rejected with "Cannot write to the location database: …".
 *
 * Reads are synchronous and see everything committed, by this or any other connection (the CLI).
 *
 * @example
 * ```ts
 * const store = openBindingStore("data");
 * const count = await store.update("sip:alice@example.com", (current) => ({
 *   put: [], remove: current.map((b) => b.id), events: [], result: current.length,
 * }));
 * store.close();
 * ```
 */
export class SqliteBindingStore implements BindingStore {
  /** Counters: how many transactions and operations the batching path committed. */
  readonly stats: SqliteBindingStoreStats = {
    transactions: 0,
    operations: 0,
    rejectedOperations: 0,
    failedTransactions: 0,
    deferredWritten: 0,
    deferredDropped: 0,
    eventsLost: 0,
  };

  readonly #db: DatabaseSync;
  readonly #historyPerAor: number;
  readonly #maxBatch: number;
  readonly #ownsDatabase: boolean;
  #queue: Operation[] = [];
  #flushHandle: ReturnType<typeof setImmediate> | undefined;
  readonly #commitWindowMs: number;
  /** The open commit window: it runs the flush when it closes, unless the batch fills first. */
  #windowTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last batch ended (performance.now(), ms). */
  #lastCommitMs = -Infinity;
  #closed = false;
  #inBatch = false;
  /** False while the running operation has written nothing yet (see `#runOperations`). */
  #wrote = true;
  /**
   * What the open batch changed in `#deferred`, as [key, entry before], so that a rollback also
   * undoes it: a rolled-back write must not take a pending refresh with it, and an operation run
   * again must not meet its own earlier deferral.
   */
  readonly #undo: Array<[string, DeferredRefresh | undefined]> = [];
  readonly #deferredWriteMs: number;
  /** Refreshes acknowledged before written, by aor + id; the latest one wins. */
  readonly #deferred = new Map<string, DeferredRefresh>();
  /** AoRs that got events since their history was last pruned (see `#insertEvents`). */
  #pruneDue = new Set<string>();
  #deferTimer: ReturnType<typeof setTimeout> | undefined;

  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #rollback: StatementSync;
  readonly #savepoint: StatementSync;
  readonly #release: StatementSync;
  readonly #rollbackToSavepoint: StatementSync;
  readonly #selectAor: StatementSync;
  readonly #selectAll: StatementSync;
  readonly #countAll: StatementSync;
  readonly #selectExpired: StatementSync;
  readonly #upsertBinding: StatementSync;
  readonly #deleteBinding: StatementSync;
  readonly #deleteExpired: StatementSync;
  readonly #refreshBinding: StatementSync;
  /** The history's statements when this store writes it itself (no `history` option). */
  readonly #eventLog: EventLog | null;
  readonly #history: HistorySink | null;
  readonly #ownsHistory: boolean;
  /** With `history`: the open batch's events, handed over once it committed. */
  #batchEvents: BindingEvent[] = [];

  /**
   * Wraps an open, migrated database (see `openDatabase`). All statements are prepared here once.
   */
  constructor(db: DatabaseSync, options: SqliteBindingStoreOptions = {}) {
    this.#db = db;
    this.#historyPerAor = checkCount(
      "historyPerAor",
      options.historyPerAor ?? DEFAULT_HISTORY_PER_AOR,
      0,
    );
    this.#maxBatch = checkCount("maxBatch", options.maxBatch ?? DEFAULT_MAX_BATCH, 1);
    this.#ownsDatabase = options.ownsDatabase ?? false;
    this.#deferredWriteMs = checkCount(
      "deferredWriteMs",
      options.deferredWriteMs ?? DEFAULT_DEFERRED_WRITE_MS,
      0,
    );
    this.#commitWindowMs = checkCount(
      "commitWindowMs",
      options.commitWindowMs ?? DEFAULT_COMMIT_WINDOW_MS,
      0,
    );

    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    this.#rollback = db.prepare("ROLLBACK");
    this.#savepoint = db.prepare("SAVEPOINT operation");
    this.#release = db.prepare("RELEASE operation");
    this.#rollbackToSavepoint = db.prepare("ROLLBACK TO operation");
    // No ORDER BY: sorting in SQL costs a temporary B-tree per call (~5 µs, most of this
    // statement); `#readAor` sorts the few rows of one AoR in JS instead.
    this.#selectAor = db.prepare(`SELECT ${BINDING_COLUMNS} FROM bindings WHERE aor = ?`);
    this.#selectAll = db.prepare(
      `SELECT ${BINDING_COLUMNS} FROM bindings ORDER BY aor, registered_at_ms, id`,
    );
    this.#countAll = db.prepare("SELECT count(*) AS n FROM bindings");
    this.#selectExpired = db.prepare(
      `SELECT ${BINDING_COLUMNS} FROM bindings WHERE expires_at_ms <= ? ` +
        "ORDER BY aor, registered_at_ms, id",
    );
    for (const select of [this.#selectAor, this.#selectAll, this.#selectExpired]) {
      select.setReturnArrays(true);
    }
    this.#upsertBinding = db.prepare(
      `INSERT OR REPLACE INTO bindings (${BINDING_COLUMNS}) ` +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.#deleteBinding = db.prepare("DELETE FROM bindings WHERE aor = ? AND id = ?");
    this.#deleteExpired = db.prepare("DELETE FROM bindings WHERE expires_at_ms <= ?");
    // Only moves a row still there, of the same registration, forward: never resurrects a binding
    // kicked or replaced meanwhile (by the CLI in another process, or by a later REGISTER).
    this.#refreshBinding = db.prepare(
      "UPDATE bindings SET cseq = ?, expires_seconds = ?, expires_at_ms = ?, refreshed_at_ms = ? " +
        "WHERE aor = ? AND id = ? AND call_id = ? AND refreshed_at_ms < ?",
    );
    this.#history = options.history ?? null;
    this.#ownsHistory = options.ownsHistory ?? false;
    this.#eventLog = this.#history === null ? new EventLog(db) : null;
  }

  /** See `BindingStore.update`. Errors thrown by `plan` reject the promise unchanged. */
  update<T>(aor: string, plan: (current: readonly Binding[]) => AorChange<T>): Promise<T> {
    return this.#enqueue<T>(() => this.#applyUpdate(aor, plan));
  }

  /** See `BindingStore.bindingsOf`: expired ones included, by registeredAtMs then id. */
  bindingsOf(aor: string): Binding[] {
    this.#checkOpen("read");
    return this.#overlay(this.#readAor(aor));
  }

  /** See `BindingStore.allBindings`: by aor, then registeredAtMs, then id. */
  allBindings(): Binding[] {
    this.#checkOpen("read");
    return this.#overlay((this.#selectAll.all() as unknown as unknown[][]).map(rowToBinding));
  }

  /**
   * Inserts or replaces bindings as they are, inside the caller's write transaction (`registrar
   * import`); no events, no batching.
   */
  writeBindings(bindings: readonly Binding[]): void {
    this.#checkOpen("write");
    for (const binding of bindings) this.#putBinding(binding);
  }

  /** Refreshes acknowledged but not yet written. */
  get deferredCount(): number {
    return this.#deferred.size;
  }

  /**
   * Writes every deferred refresh now and prunes the event histories grown past `historyPerAor`
   * (the timer does this within `deferredWriteMs`; `close()` does it too), WRITE_BEHIND_CHUNK
   * of each per queued operation. Resolves once all of them committed. A refresh whose binding
   * is gone is dropped.
   */
  async flushDeferred(): Promise<void> {
    if (this.#deferTimer !== undefined) {
      clearTimeout(this.#deferTimer);
      this.#deferTimer = undefined;
    }
    // What is pending now, written WRITE_BEHIND_CHUNK at a time: one chunk per batch, so the
    // REGISTERs queued meanwhile are answered between chunks instead of after all of them.
    const keys = [...this.#deferred.keys()];
    const aors = [...this.#pruneDue];
    this.#pruneDue.clear();
    for (let i = 0; i < keys.length || i < aors.length; i += WRITE_BEHIND_CHUNK) {
      const chunkKeys = keys.slice(i, i + WRITE_BEHIND_CHUNK);
      const chunkAors = aors.slice(i, i + WRITE_BEHIND_CHUNK);
      try {
        const written = await this.#enqueue<DeferredRefresh[]>(() =>
          this.#writeDeferred(chunkKeys, chunkAors)
        );
        this.#forgetDeferred(written);
      } catch (error) {
        for (const aor of aors.slice(i)) this.#pruneDue.add(aor);
        this.#armDeferTimer(); // still pending: try again later
        throw error;
      }
    }
  }

  /**
   * How many bindings are stored, expired ones included, without reading them: with 100,000
   * bindings `allBindings().length` builds 100,000 objects (tens of MB of heap a long-running
   * process keeps as RSS); this is one index scan.
   */
  countBindings(): number {
    this.#checkOpen("read");
    return Number((this.#countAll.get() as { n: number | bigint }).n);
  }

  /**
   * See `BindingStore.purgeExpired`. Runs as one operation of the write queue, so it is ordered
   * with the updates queued before and after it. Each removed binding gets an "expired" event
   * (source null, at `nowMs`). Resolves with the removed bindings by aor, registeredAtMs, id.
   */
  purgeExpired(nowMs: number): Promise<Binding[]> {
    return this.#enqueue(() => this.#applyPurge(nowMs));
  }

  /** See `BindingStore.events`. `afterSeq` defaults to 0; no `limit` means all. */
  events(options: { aor?: string; afterSeq?: number; limit?: number } = {}): StoredBindingEvent[] {
    this.#checkOpen("read");
    return (this.#history ?? this.#eventLog!).read(options);
  }

  /** See `BindingStore.recordEvents`: one queued operation, durable when resolved. */
  recordEvents(events: BindingEvent[]): Promise<void> {
    const copy = events.slice();
    return this.#enqueue(() => {
      this.#insertEvents(copy);
    });
  }

  /**
   * Commits every queued operation (synchronously, settling their promises), then stops accepting
   * work; closes the database if this store owns it. Later writes reject, later reads throw.
   * Calling it again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#inBatch) {
      throw new Error("Cannot close the location store from inside an update plan");
    }
    if (this.#flushHandle !== undefined) {
      clearImmediate(this.#flushHandle);
      this.#flushHandle = undefined;
    }
    if (this.#windowTimer !== undefined) {
      clearTimeout(this.#windowTimer);
      this.#windowTimer = undefined;
    }
    if (this.#deferTimer !== undefined) clearTimeout(this.#deferTimer);
    if (this.#deferred.size > 0 || this.#pruneDue.size > 0) {
      this.#queue.push({
        run: () => this.#writeDeferred([...this.#deferred.keys()], [...this.#pruneDue]),
        resolve: (written) => this.#forgetDeferred(written as DeferredRefresh[]),
        reject: () => {},
      });
    }
    while (this.#queue.length > 0) this.#runBatch(this.#takeBatch());
    this.#closed = true;
    if (this.#ownsDatabase) this.#db.close();
    if (this.#ownsHistory) void this.#history?.close();
  }

  #enqueue<T>(run: () => unknown): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new Error("Cannot write to the location database: the store is closed"),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (this.#windowTimer === undefined) {
        if (this.#flushHandle === undefined) this.#flushHandle = setImmediate(this.#endOfTurn);
      } else if (this.#queue.length >= COMMIT_WINDOW_OPERATIONS) {
        // The window filled up: commit at the end of this turn.
        clearTimeout(this.#windowTimer);
        this.#windowTimer = undefined;
        this.#flushHandle = setImmediate(this.#flush);
      }
    });
  }

  /**
   * The end of the turn that queued the first write of a batch: commits it, or, when the store
   * is busy and the batch small, opens the commit window. Under load the REGISTERs of one burst
   * of phones arrive over several turns (each after its 401), and one commit then serves them
   * all instead of one commit, and one fsync, per turn.
   */
  readonly #endOfTurn = (): void => {
    this.#flushHandle = undefined;
    if (this.#closed) return;
    if (
      this.#commitWindowMs > 0 && this.#queue.length < COMMIT_WINDOW_OPERATIONS &&
      performance.now() - this.#lastCommitMs < BUSY_WITHIN_MS
    ) {
      this.#windowTimer = setTimeout(this.#windowClosed, this.#commitWindowMs);
      return;
    }
    this.#flush();
  };

  readonly #windowClosed = (): void => {
    this.#windowTimer = undefined;
    this.#flush();
  };

  /** One batch per call, so replies of a batch go out before the next fsync. */
  readonly #flush = (): void => {
    this.#flushHandle = undefined;
    if (this.#closed || this.#queue.length === 0) return;
    this.#runBatch(this.#takeBatch());
    this.#lastCommitMs = performance.now();
    // What is left (past maxBatch, or queued by a plan, which scheduled its own turn) goes next.
    if (
      this.#queue.length > 0 && this.#flushHandle === undefined && this.#windowTimer === undefined
    ) this.#flushHandle = setImmediate(this.#flush);
  };

  #takeBatch(): Operation[] {
    if (this.#queue.length <= this.#maxBatch) {
      const batch = this.#queue;
      this.#queue = [];
      return batch;
    }
    return this.#queue.splice(0, this.#maxBatch);
  }

  #runBatch(batch: Operation[]): void {
    const db = this.#db;
    const outcomes: unknown[] = new Array(batch.length);
    const succeeded: boolean[] = new Array(batch.length);
    const written = this.stats.deferredWritten;
    const dropped = this.stats.deferredDropped;
    this.#inBatch = true;
    try {
      this.#begin.run();
      // First without savepoints (a SAVEPOINT and a RELEASE per operation cost ≈ 3–5 % of a
      // REGISTER): an operation whose plan throws has written nothing, so only a write that
      // throws (rare: a constraint, I/O) sends the whole batch round again, one savepoint each.
      if (!this.#runOperations(batch, outcomes, succeeded, false)) {
        this.#rollback.run();
        this.#undoDeferred(0, written, dropped);
        this.#batchEvents = [];
        this.#begin.run();
        this.#runOperations(batch, outcomes, succeeded, true);
      }
      this.#commit.run();
      this.#undo.length = 0;
      this.#inBatch = false;
    } catch (error) {
      this.#inBatch = false;
      this.#batchEvents = [];
      if (db.isTransaction) {
        try {
          this.#rollback.run();
        } catch {
          // Nothing more can be done; every operation is rejected below.
        }
      }
      this.#undoDeferred(0, written, dropped);
      this.stats.failedTransactions++;
      const failure = new Error(`Cannot write to the location database: ${messageOf(error)}`, {
        cause: error,
      });
      for (const operation of batch) operation.reject(failure);
      return;
    }
    this.stats.transactions++;
    if (this.#batchEvents.length > 0) this.#handOverEvents();
    for (let i = 0; i < batch.length; i++) {
      const operation = batch[i] as Operation;
      if (succeeded[i]) {
        this.stats.operations++;
        operation.resolve(outcomes[i]);
      } else {
        this.stats.rejectedOperations++;
        operation.reject(outcomes[i]);
      }
    }
  }

  /** Gives the committed batch's events to the history; a failure there undoes no change. */
  #handOverEvents(): void {
    const events = this.#batchEvents;
    this.#batchEvents = [];
    try {
      this.#history!.append(events);
    } catch {
      this.stats.eventsLost += events.length;
    }
  }

  /**
   * Runs the operations of a batch in the open transaction, each in its own savepoint when
   * `savepoints` is set. Without them it returns false as soon as an operation throws after it
   * began writing: its writes cannot be undone alone, so the caller rolls back and starts over.
   * Throws when SQLite itself ended the transaction (SQLITE_FULL, I/O): the batch is lost.
   */
  #runOperations(
    batch: Operation[],
    outcomes: unknown[],
    succeeded: boolean[],
    savepoints: boolean,
  ): boolean {
    const db = this.#db;
    for (let i = 0; i < batch.length; i++) {
      if (savepoints) this.#savepoint.run();
      const undoFrom = this.#undo.length;
      const eventsFrom = this.#batchEvents.length;
      const written = this.stats.deferredWritten;
      const dropped = this.stats.deferredDropped;
      this.#wrote = true; // until the operation says otherwise (see #applyUpdate)
      try {
        outcomes[i] = (batch[i] as Operation).run();
        if (savepoints) this.#release.run();
        succeeded[i] = true;
      } catch (error) {
        if (!db.isTransaction) throw error;
        if (savepoints) {
          this.#rollbackToSavepoint.run();
          this.#release.run();
        } else if (this.#wrote) return false;
        // Rejected alone: what it changed outside SQLite goes too, in either mode.
        this.#undoDeferred(undoFrom, written, dropped);
        this.#batchEvents.length = eventsFrom;
        outcomes[i] = error;
        succeeded[i] = false;
      }
    }
    return true;
  }

  /**
   * Undoes what rolled-back writes did outside SQLite: the changes to `#deferred` logged since
   * `from`, newest first, and the deferred-write counters, back to `written` and `dropped`.
   */
  #undoDeferred(from: number, written: number, dropped: number): void {
    const undo = this.#undo;
    for (let i = undo.length - 1; i >= from; i--) {
      const [key, before] = undo[i]!;
      if (before === undefined) this.#deferred.delete(key);
      else this.#deferred.set(key, before);
    }
    undo.length = from;
    this.stats.deferredWritten = written;
    this.stats.deferredDropped = dropped;
  }

  /** Sets or deletes a deferred refresh, logged for `#undoDeferred` while a batch is open. */
  #setDeferred(key: string, entry: DeferredRefresh | undefined): void {
    if (this.#inBatch) this.#undo.push([key, this.#deferred.get(key)]);
    if (entry === undefined) this.#deferred.delete(key);
    else this.#deferred.set(key, entry);
  }

  #applyUpdate<T>(aor: string, plan: (current: readonly Binding[]) => AorChange<T>): T {
    this.#wrote = false; // nothing is written before the plan and its checks passed
    const current = this.#overlay(this.#readAor(aor));
    const change = plan(current);
    checkChange(aor, change);
    if (change.deferrable === true && this.#deferredWriteMs > 0 && this.#defer(aor, change)) {
      return change.result;
    }
    this.#wrote = true;
    try {
      // A durable write of a binding supersedes its deferred refresh, whose events go first.
      if (this.#deferred.size > 0) {
        for (const binding of change.put) this.#settleDeferred(aor, binding.id);
        for (const id of change.remove) this.#settleDeferred(aor, id);
      }
      for (const binding of change.put) this.#putBinding(binding);
      for (const id of change.remove) this.#deleteBinding.run(aor, id);
      this.#insertEvents(change.events);
    } catch (error) {
      throw new Error(`Cannot update AoR "${aor}": ${messageOf(error)}`, { cause: error });
    }
    return change.result;
  }

  /**
   * Keeps a plain refresh in memory instead of writing it; false when it cannot be deferred
   * (an event that is not the refresh of a put binding).
   */
  #defer(aor: string, change: AorChange<unknown>): boolean {
    const ids = new Set(change.put.map((b) => b.id));
    if (!change.events.every((e) => e.kind === "refreshed" && ids.has(e.bindingId ?? ""))) {
      return false;
    }
    if (change.remove.length > 0) return false;
    for (const binding of change.put) {
      const key = deferKey(aor, binding.id);
      const earlier = this.#deferred.get(key)?.events ?? [];
      const events = [...earlier, ...change.events.filter((e) => e.bindingId === binding.id)];
      this.#setDeferred(key, { binding, events });
    }
    this.#armDeferTimer();
    return true;
  }

  #armDeferTimer(): void {
    if (this.#deferTimer !== undefined || this.#closed) return;
    this.#deferTimer = setTimeout(() => {
      this.#deferTimer = undefined;
      this.flushDeferred().catch(() => {}); // a failed flush re-arms the timer
    }, this.#deferredWriteMs);
    (this.#deferTimer as { unref?: () => void }).unref?.();
  }

  /** Forgets written refreshes, unless a newer refresh of the binding arrived meanwhile. */
  #forgetDeferred(written: DeferredRefresh[]): void {
    for (const entry of written) {
      const key = deferKey(entry.binding.aor, entry.binding.id);
      if (this.#deferred.get(key) === entry) this.#deferred.delete(key);
    }
  }

  /** Pending values of deferred refreshes, laid over rows read from the database. */
  #overlay(rows: Binding[]): Binding[] {
    if (this.#deferred.size === 0) return rows;
    return rows.map((row) => {
      const pending = this.#deferred.get(deferKey(row.aor, row.id))?.binding;
      return pending !== undefined && pending.callId === row.callId &&
          pending.refreshedAtMs > row.refreshedAtMs
        ? pending
        : row;
    });
  }

  /** Writes a deferred refresh's events now and forgets it (a durable write follows). */
  #settleDeferred(aor: string, id: string): void {
    const key = deferKey(aor, id);
    const pending = this.#deferred.get(key);
    if (pending === undefined) return;
    this.#setDeferred(key, undefined);
    this.#insertEvents(pending.events);
  }

  /**
   * One operation of the write queue: the deferred refreshes of `keys` that are still pending,
   * as conditional UPDATEs, and the history prune of `aors`. Returns the entries written; they
   * are forgotten once the transaction committed.
   */
  #writeDeferred(keys: readonly string[], aors: readonly string[]): DeferredRefresh[] {
    const pending: DeferredRefresh[] = [];
    for (const key of keys) {
      const entry = this.#deferred.get(key);
      if (entry !== undefined) pending.push(entry);
    }
    for (const { binding: b, events } of pending) {
      const moved = this.#refreshBinding.run(
        b.cseq,
        b.expiresSeconds,
        b.expiresAtMs,
        b.refreshedAtMs,
        b.aor,
        b.id,
        b.callId,
        b.refreshedAtMs,
      ).changes;
      if (Number(moved) > 0) {
        this.#insertEvents(events);
        this.stats.deferredWritten++;
      } else {
        this.stats.deferredDropped++;
      }
    }
    this.#pruneEventsOf(aors);
    return pending;
  }

  /** The AoR's rows, by registeredAtMs then id (ids are ASCII: JS and SQLite order agree). */
  #readAor(aor: string): Binding[] {
    const rows = (this.#selectAor.all(aor) as unknown as unknown[][]).map(rowToBinding);
    if (rows.length > 1) {
      rows.sort((a, b) =>
        a.registeredAtMs - b.registeredAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      );
    }
    return rows;
  }

  #applyPurge(nowMs: number): Binding[] {
    let expired = (this.#selectExpired.all(nowMs) as unknown as unknown[][]).map(rowToBinding);
    if (expired.length === 0) return expired;
    // A binding whose deferred refresh moved its expiry is not expired.
    const overlaid = this.#overlay(expired);
    if (overlaid.some((b) => b.expiresAtMs > nowMs)) {
      expired = expired.filter((_, i) => overlaid[i]!.expiresAtMs <= nowMs);
      for (const b of expired) this.#deleteBinding.run(b.aor, b.id);
    } else {
      this.#deleteExpired.run(nowMs);
    }
    this.#insertEvents(expired.map((binding): BindingEvent => ({
      atMs: nowMs,
      aor: binding.aor,
      kind: "expired",
      bindingId: binding.id,
      contact: binding.contact,
      source: null,
      detail: null,
    })));
    return expired;
  }

  #putBinding(b: Binding): void {
    this.#upsertBinding.run(
      b.aor,
      b.id,
      b.contact,
      b.contactUri,
      b.q,
      b.callId,
      b.cseq,
      b.expiresSeconds,
      b.expiresAtMs,
      b.registeredAtMs,
      b.refreshedAtMs,
      b.sourceAddress,
      b.sourcePort,
      b.transport,
      b.userAgent,
      b.path,
      b.instance,
      b.regId,
    );
  }

  /**
   * Inserts events. Their AoRs' histories are pruned to `historyPerAor` later, with the deferred
   * writes, a chunk of AoRs per statement (see `#pruneEventsOf`); at once if nothing is deferred.
   */
  #insertEvents(events: readonly BindingEvent[]): void {
    if (events.length === 0) return;
    if (this.#history !== null) {
      for (const e of events) this.#batchEvents.push(e); // the history thread prunes
      return;
    }
    this.#eventLog!.append(events);
    for (const e of events) this.#pruneDue.add(e.aor);
    if (this.#deferredWriteMs === 0) this.#pruneHistories();
    else this.#armDeferTimer();
  }

  #pruneHistories(): void {
    if (this.#pruneDue.size === 0) return;
    const due = [...this.#pruneDue];
    this.#pruneDue = new Set();
    this.#pruneEventsOf(due);
  }

  /** Prunes the histories of `aors` that hold more than `historyPerAor` events. */
  #pruneEventsOf(aors: readonly string[]): void {
    if (aors.length > 0) this.#eventLog?.prune(aors, this.#historyPerAor);
  }

  #checkOpen(action: "read" | "write"): void {
    if (this.#closed) {
      throw new Error(`Cannot ${action} the location database: the store is closed`);
    }
  }
}

/**
 * Opens `<dataDir>/registrar.db` (or an in-memory database for `":memory:"`) and returns a store
 * that owns it: `close()` flushes pending writes and closes the database. The history is
 * `<dataDir>/history.db` (see `HistoryFile`), written after each commit.
 *
 * @example
 * ```ts
 * const store = openBindingStore("data", { historyPerAor: 20 });
 * console.log(store.allBindings().length);
 * store.close();
 * ```
 */
export function openBindingStore(
  dataDir: string,
  options: OpenBindingStoreOptions = {},
): SqliteBindingStore {
  const { busyTimeoutMs, ...storeOptions } = options;
  const { db, path } = openDataDirectory(
    dataDir,
    busyTimeoutMs === undefined ? {} : { busyTimeoutMs },
  );
  try {
    if (path === ":memory:") {
      return new SqliteBindingStore(db, { ...storeOptions, ownsDatabase: true });
    }
    const history = new HistoryFile(
      historyPathOf(dataDir),
      storeOptions.historyPerAor ?? DEFAULT_HISTORY_PER_AOR,
    );
    try {
      moveEventsToHistory(db, history);
      return new SqliteBindingStore(db, {
        history,
        ...storeOptions,
        ownsDatabase: true,
        ownsHistory: true,
      });
    } catch (error) {
      history.close();
      throw error;
    }
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Maps a row of `SELECT ${BINDING_COLUMNS}` read as an array (cheaper than a row object). */
function rowToBinding(row: unknown[]): Binding {
  return {
    id: row[1] as string,
    aor: row[0] as string,
    contact: row[2] as string,
    contactUri: row[3] as string,
    q: row[4] as number | null,
    callId: row[5] as string,
    cseq: row[6] as number,
    expiresSeconds: row[7] as number,
    expiresAtMs: row[8] as number,
    registeredAtMs: row[9] as number,
    refreshedAtMs: row[10] as number,
    sourceAddress: row[11] as string,
    sourcePort: row[12] as number,
    transport: row[13] as string,
    userAgent: row[14] as string | null,
    path: row[15] as string | null,
    instance: row[16] as string | null,
    regId: row[17] as number | null,
  };
}

function checkChange(aor: string, change: AorChange<unknown>): void {
  if (
    typeof change !== "object" || change === null || !Array.isArray(change.put) ||
    !Array.isArray(change.remove) || !Array.isArray(change.events)
  ) {
    throw new TypeError(
      `Cannot update AoR "${aor}": plan() must return { put, remove, events, result }`,
    );
  }
  for (const binding of change.put) {
    if (binding.aor !== aor) {
      throw new Error(
        `Cannot update AoR "${aor}": binding "${binding.id}" belongs to AoR "${binding.aor}"`,
      );
    }
  }
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create the location store: ${name} must be an integer >= ${min}, got "${value}"`,
    );
  }
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// HistoryThread: the server's binding history, written to <dataDir>/history.db by a thread of its
// own (history_worker.ts), so that a REGISTER's commit carries its binding alone.
import type { DatabaseSync } from "node:sqlite";
import type { BindingEvent, StoredBindingEvent } from "../registrar/binding.ts";
import { EventLog } from "./event_log.ts";
import { openHistoryDatabase } from "./history_file.ts";

/** Where a location store sends its committed events when it does not write them itself. */
export interface HistorySink {
  /** Takes events whose binding changes committed; they are written soon after, in order. */
  append(events: readonly BindingEvent[]): void;
  /** What is written so far: see `BindingStore.events`. */
  read(options?: { aor?: string; afterSeq?: number; limit?: number }): StoredBindingEvent[];
  /** Writes what is queued and lets go of the file. */
  close(): void | Promise<void>;
}

/** Messages to the history thread. */
export type ToHistory =
  | { type: "open"; path: string; historyPerAor: number }
  /** Events encoded by `encodeEvents`: one string is one copy, where an array is one per value. */
  | { type: "append"; events: string }
  /** Answered with "flushed" once every earlier "append" is committed. */
  | { type: "flush"; id: number }
  | { type: "close" };

/** Messages from the history thread. */
type FromHistory =
  | { type: "flushed"; id: number }
  | { type: "closed" }
  | { type: "error"; message: string };

/**
 * Events wait this long, ms, to be posted together. At 24,000 REGISTER/s a message per commit
 * (hundreds a second) gave back half of the 12 points of a core that writing no history at all
 * took off the server's thread; with a message per 20 ms, the thread's CPU per REGISTER is that
 * of writing none, within the noise (bench/RESULTS.md, twenty-first sitting).
 */
export const HISTORY_POST_MS = 20;

/** A queue this long is posted at once. */
const POST_AT_EVENTS = 4096;

/** Values per event in a post: atMs, aor, kind, bindingId, contact, source, detail. */
const FIELDS_PER_EVENT = 7;

/**
 * After an error from the thread is reported, others within this many ms are only counted: a
 * history that cannot be written (a full disk) would otherwise log one line per post.
 */
export const ERROR_REPORT_INTERVAL_MS = 60_000;

/** Options of `HistoryThread` and `openHistoryThread`. */
export interface HistoryThreadOptions {
  /** Events kept per AoR; older ones are pruned as new ones arrive. */
  historyPerAor: number;
  /** Errors of the thread (see ERROR_REPORT_INTERVAL_MS); the server logs them. */
  onError: (error: Error) => void;
  /** The clock of that interval; default Date.now. */
  nowMs?: () => number;
}

/** The part of a Web Worker (Bun, Deno) used here; tests may pass another. */
export interface HistoryWorker {
  postMessage(message: ToHistory): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  terminate(): void;
}

/**
 * The server's side of the history thread. `append` queues; the queue is posted within
 * HISTORY_POST_MS. The thread appends each post in one transaction and prunes each AoR's history
 * to `historyPerAor`. Failures there are reported through `onError` and cost events, never a
 * binding or an answer (one report per ERROR_REPORT_INTERVAL_MS, counting the others). `read`
 * reads the file through a connection of its own on this thread.
 */
export class HistoryThread implements HistorySink {
  /** Events given up on: the thread had failed or was closed. */
  dropped = 0;
  readonly #worker: HistoryWorker;
  readonly #path: string;
  readonly #onError: (error: Error) => void;
  #flat: unknown[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  readonly #flushed = new Map<number, () => void>();
  #onClosed: (() => void) | undefined;
  #failed = false;
  #closing: Promise<void> | undefined;
  #reader: { db: DatabaseSync; log: EventLog } | undefined;
  #lastReportMs = -Infinity;
  #unreported = 0;
  readonly #nowMs: () => number;

  constructor(
    worker: HistoryWorker,
    path: string,
    options: HistoryThreadOptions,
  ) {
    this.#worker = worker;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#path = path;
    this.#onError = options.onError;
    worker.onmessage = (event) => this.#receive(event.data as FromHistory);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.#fail(new Error(`history thread failed: ${event.message}`));
    };
    worker.postMessage({ type: "open", path, historyPerAor: options.historyPerAor });
  }

  append(events: readonly BindingEvent[]): void {
    if (this.#failed || this.#closing !== undefined) {
      this.dropped += events.length;
      return;
    }
    const flat = this.#flat;
    for (const e of events) {
      flat.push(e.atMs, e.aor, e.kind, e.bindingId, e.contact, e.source, e.detail);
    }
    if (flat.length >= POST_AT_EVENTS * FIELDS_PER_EVENT) this.#post();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#post, HISTORY_POST_MS);
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  read(options: { aor?: string; afterSeq?: number; limit?: number } = {}): StoredBindingEvent[] {
    if (this.#reader === undefined) {
      const db = openHistoryDatabase(this.#path);
      this.#reader = { db, log: new EventLog(db) };
    }
    return this.#reader.log.read(options);
  }

  /** Resolves once every event appended so far is committed (or the thread has failed). */
  flush(): Promise<void> {
    this.#post();
    if (this.#failed) return Promise.resolve();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#flushed.set(id, resolve);
      this.#worker.postMessage({ type: "flush", id });
    });
  }

  /** Writes what is queued, then stops the thread. Calling it again waits for the same close. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.flush();
      if (!this.#failed) {
        await new Promise<void>((resolve) => {
          this.#onClosed = resolve;
          this.#worker.postMessage({ type: "close" });
        });
      }
      this.#worker.terminate();
      this.#reader?.db.close();
      this.#reader = undefined;
    })();
    return this.#closing;
  }

  readonly #post = (): void => {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#flat.length === 0 || this.#failed) return;
    this.#worker.postMessage({ type: "append", events: JSON.stringify(this.#flat) });
    this.#flat = [];
  };

  #receive(message: FromHistory): void {
    switch (message.type) {
      case "flushed": {
        const resolve = this.#flushed.get(message.id);
        this.#flushed.delete(message.id);
        resolve?.();
        break;
      }
      case "closed":
        this.#onClosed?.();
        break;
      case "error": {
        const nowMs = this.#nowMs();
        if (nowMs - this.#lastReportMs < ERROR_REPORT_INTERVAL_MS) {
          this.#unreported++;
          break;
        }
        const more = this.#unreported === 0 ? "" : ` (and ${this.#unreported} more errors)`;
        this.#lastReportMs = nowMs;
        this.#unreported = 0;
        this.#onError(new Error(`cannot write the history: ${message.message}${more}`));
        break;
      }
    }
  }

  /** The thread is gone: what it had not written is lost, and later events are dropped. */
  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.dropped += this.#flat.length / FIELDS_PER_EVENT;
    this.#flat = [];
    this.#onError(error);
    for (const resolve of this.#flushed.values()) resolve();
    this.#flushed.clear();
    this.#onClosed?.();
  }
}

/**
 * Starts the history thread for the history file at `path`. In a single executable the worker's
 * module is one of the build's entry points (Makefile), under the path it has in the source tree.
 */
export function openHistoryThread(
  path: string,
  options: HistoryThreadOptions,
): HistoryThread {
  const url = import.meta.url.includes("/$bunfs/")
    ? "./src/store/history_worker.ts"
    : new URL("./history_worker.ts", import.meta.url).href;
  const worker = new Worker(url, { type: "module" }) as unknown as HistoryWorker;
  return new HistoryThread(worker, path, options);
}

/** The inverse of the flat array `append` posts: FIELDS_PER_EVENT values per event. */
export function decodeEvents(text: string): BindingEvent[] {
  const flat = JSON.parse(text) as unknown[];
  const events: BindingEvent[] = [];
  for (let i = 0; i + FIELDS_PER_EVENT <= flat.length; i += FIELDS_PER_EVENT) {
    events.push({
      atMs: flat[i] as number,
      aor: flat[i + 1] as string,
      kind: flat[i + 2] as BindingEvent["kind"],
      bindingId: flat[i + 3] as string | null,
      contact: flat[i + 4] as string | null,
      source: flat[i + 5] as string | null,
      detail: flat[i + 6] as string | null,
    });
  }
  return events;
}

// BindingStore: the location-service contract the registrar needs; src/store implements it.
import type { Binding, BindingEvent, StoredBindingEvent } from "./binding.ts";

/** What one REGISTER decided to change in one AoR, computed from the AoR's current bindings. */
export interface AorChange<T> {
  /** Bindings to insert or replace (matched by aor + id). */
  put: Binding[];
  /** Ids of bindings of this AoR to delete. */
  remove: string[];
  events: BindingEvent[];
  /** Handed back to the caller of `update` once the change is durable. */
  result: T;
  /**
   * True when the change only moves the expiry of live bindings (a plain refresh: same contact,
   * Call-ID, source, User-Agent, Path, instance; events only "refreshed"). A store may then
   * acknowledge it before it is on disk and write it within seconds: a crash can only shorten
   * such a binding to its previous expiry, never drop it. Anything that creates or removes a
   * binding is never deferrable.
   */
  deferrable?: boolean;
}

/**
 * The location service. Reads are synchronous snapshots; every write goes through `update`, which
 * is all-or-nothing and durable when its promise resolves (RFC 3261 §10.3: "the binding updates
 * MUST be committed ... before sending the response").
 */
export interface BindingStore {
  /**
   * Atomically reads the AoR's current bindings (expired ones included: callers compare
   * `expiresAtMs` with their own clock), calls `plan` synchronously inside the write transaction,
   * and writes what it returns. If `plan` throws, nothing is written and the promise rejects with
   * that error. The promise resolves with `result` after the commit reached the disk.
   */
  update<T>(aor: string, plan: (current: readonly Binding[]) => AorChange<T>): Promise<T>;

  /** The AoR's bindings, expired ones included, ordered by registeredAtMs then id. */
  bindingsOf(aor: string): Binding[];

  /** Every binding, ordered by aor then registeredAtMs. */
  allBindings(): Binding[];

  /** Deletes bindings whose expiresAtMs <= nowMs, records an "expired" event each, returns them. */
  purgeExpired(nowMs: number): Promise<Binding[]>;

  /** Events, oldest first, with seq > afterSeq, at most `limit`; optionally of one AoR. */
  events(options?: { aor?: string; afterSeq?: number; limit?: number }): StoredBindingEvent[];

  /** Records events with no binding change (e.g. "auth-failed"); durable when resolved. */
  recordEvents(events: BindingEvent[]): Promise<void>;

  close(): void;
}

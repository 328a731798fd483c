// A minimal in-memory BindingStore for registrar unit tests: atomic, synchronous underneath.
import type { Binding, BindingEvent, StoredBindingEvent } from "../../src/registrar/binding.ts";
import type { AorChange, BindingStore } from "../../src/registrar/binding_store.ts";

export class MemoryBindingStore implements BindingStore {
  bindings: Binding[] = [];
  log: StoredBindingEvent[] = [];
  updates = 0;
  /** When set, the next update fails as a broken disk would. */
  failNextCommit = false;
  /** The `deferrable` flag of each update's change, in order. */
  deferrable: boolean[] = [];

  update<T>(aor: string, plan: (current: readonly Binding[]) => AorChange<T>): Promise<T> {
    this.updates++;
    try {
      const current = this.bindingsOf(aor);
      const change = plan(current);
      this.deferrable.push(change.deferrable === true);
      if (this.failNextCommit) {
        this.failNextCommit = false;
        return Promise.reject(new Error("disk full"));
      }
      const removed = new Set(change.remove);
      const replaced = new Set(change.put.map((b) => b.id));
      this.bindings = this.bindings.filter((b) =>
        b.aor !== aor || (!removed.has(b.id) && !replaced.has(b.id))
      );
      this.bindings.push(...change.put.map((b) => ({ ...b })));
      this.#record(change.events);
      return Promise.resolve(change.result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  bindingsOf(aor: string): Binding[] {
    return this.bindings.filter((b) => b.aor === aor).map((b) => ({ ...b }))
      .sort((a, b) => a.registeredAtMs - b.registeredAtMs || a.id.localeCompare(b.id));
  }

  allBindings(): Binding[] {
    return [...this.bindings].sort((a, b) => a.aor.localeCompare(b.aor));
  }

  purgeExpired(nowMs: number): Promise<Binding[]> {
    const gone = this.bindings.filter((b) => b.expiresAtMs <= nowMs);
    this.bindings = this.bindings.filter((b) => b.expiresAtMs > nowMs);
    return Promise.resolve(gone);
  }

  events(options: { aor?: string; afterSeq?: number; limit?: number } = {}): StoredBindingEvent[] {
    return this.log.filter((e) =>
      (options.aor === undefined || e.aor === options.aor) && e.seq > (options.afterSeq ?? 0)
    ).slice(0, options.limit ?? Infinity);
  }

  recordEvents(events: BindingEvent[]): Promise<void> {
    this.#record(events);
    return Promise.resolve();
  }

  close(): void {}

  #record(events: BindingEvent[]): void {
    for (const e of events) this.log.push({ ...e, seq: this.log.length + 1 });
  }
}

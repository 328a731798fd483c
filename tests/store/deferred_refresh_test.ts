// Deferred refreshes: acknowledged at once, written within seconds, never resurrecting a binding.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Binding, BindingEvent } from "../../src/registrar/binding.ts";
import type { AorChange } from "../../src/registrar/binding_store.ts";
import { openDataDirectory } from "../../src/store/open_database.ts";
import { SqliteBindingStore } from "../../src/store/sqlite_binding_store.ts";

const AOR = "sip:bob@office.test";

function binding(overrides: Partial<Binding> = {}): Binding {
  return {
    id: "b1",
    aor: AOR,
    contact: "<sip:bob@192.0.2.10>",
    contactUri: "sip:bob@192.0.2.10",
    q: null,
    callId: "call-1",
    cseq: 1,
    expiresSeconds: 600,
    expiresAtMs: 1_000_000 + 600_000,
    registeredAtMs: 1_000_000,
    refreshedAtMs: 1_000_000,
    sourceAddress: "198.51.100.7",
    sourcePort: 40000,
    transport: "udp",
    userAgent: "phone",
    path: null,
    instance: null,
    regId: null,
    ...overrides,
  };
}

function event(kind: BindingEvent["kind"], atMs: number): BindingEvent {
  return { atMs, aor: AOR, kind, bindingId: "b1", contact: null, source: null, detail: null };
}

/** A change that puts `b`, as the registrar's plan would return it. */
function change(b: Binding, kind: BindingEvent["kind"], deferrable: boolean): AorChange<null> {
  return { put: [b], remove: [], events: [event(kind, b.refreshedAtMs)], result: null, deferrable };
}

/** The refresh of the stored binding at `atMs` for `seconds`. */
function refreshed(atMs: number, seconds: number, cseq: number): Binding {
  return binding({
    cseq,
    expiresSeconds: seconds,
    expiresAtMs: atMs + seconds * 1000,
    refreshedAtMs: atMs,
  });
}

describe("SqliteBindingStore deferred refreshes", () => {
  let dir: string;
  let n = 0;
  let store: SqliteBindingStore;
  let other: ReturnType<typeof openDataDirectory>; // the CLI: another connection, same file

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-deferred-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function fresh(): Promise<void> {
    const data = join(dir, String(++n));
    const opened = openDataDirectory(data);
    // A long delay: the tests write deferred refreshes with flushDeferred() or close().
    store = new SqliteBindingStore(opened.db, { ownsDatabase: true, deferredWriteMs: 60_000 });
    other = openDataDirectory(data);
    await store.update(AOR, () => change(binding(), "registered", false));
  }
  const onDisk = (): Binding[] => new SqliteBindingStore(other.db).bindingsOf(AOR);
  const kindsOnDisk = () =>
    new SqliteBindingStore(other.db).events({ aor: AOR }).map((e) => e.kind);

  it("acknowledges a refresh before writing it, and shows it to its own reads", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    assert.equal(store.deferredCount, 1);
    assert.equal(store.bindingsOf(AOR)[0]!.expiresAtMs, 1_900_000, "own reads see it");
    assert.equal(onDisk()[0]!.expiresAtMs, 1_600_000, "not on disk yet: a crash shortens it");
    let seen: readonly Binding[] = [];
    await store.update(AOR, (current) => {
      seen = current;
      return { put: [], remove: [], events: [], result: null };
    });
    assert.equal(seen[0]!.cseq, 2, "the next REGISTER's plan sees the refresh (§10.3 step 7)");
    await store.flushDeferred();
    assert.equal(onDisk()[0]!.expiresAtMs, 1_900_000);
    assert.deepEqual(kindsOnDisk(), ["registered", "refreshed"]);
    store.close();
    other.db.close();
  });

  it("never resurrects a binding kicked by another process before the write", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    other.db.prepare("DELETE FROM bindings WHERE aor = ?").run(AOR); // registrar kick
    assert.deepEqual(store.bindingsOf(AOR), [], "a kicked binding is gone from answers at once");
    await store.flushDeferred();
    assert.deepEqual(onDisk(), []);
    assert.deepEqual(kindsOnDisk(), ["registered"], "the dropped refresh leaves no event");
    assert.equal(store.stats.deferredDropped, 1);
    store.close();
    other.db.close();
  });

  it("lets a durable write supersede a pending refresh, history in order", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    const moved = binding({ cseq: 3, sourcePort: 40001, refreshedAtMs: 1_400_000 });
    await store.update(AOR, () => change(moved, "refreshed", false));
    assert.equal(store.deferredCount, 0);
    assert.equal(onDisk()[0]!.sourcePort, 40001);
    assert.deepEqual(kindsOnDisk(), ["registered", "refreshed", "refreshed"]);
    await store.flushDeferred();
    assert.equal(onDisk()[0]!.cseq, 3, "the older refresh is not written over it");
    store.close();
    other.db.close();
  });

  it("does not purge a binding whose pending refresh moved its expiry", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    const purged = await store.purgeExpired(1_700_000); // after the stored, before the new expiry
    assert.deepEqual(purged, []);
    assert.equal(onDisk().length, 1);
    store.close();
    other.db.close();
  });

  it("writes many pending refreshes a chunk per batch, so REGISTERs get answered between", async () => {
    await fresh();
    const aors = Array.from({ length: 600 }, (_, i) => `sip:user${i}@office.test`);
    const first = (aor: string, atMs: number, cseq: number, deferrable: boolean) =>
      store.update(aor, () => ({
        put: [binding({ aor, cseq, refreshedAtMs: atMs, expiresAtMs: atMs + 600_000 })],
        remove: [],
        events: [{ ...event("refreshed", atMs), aor }],
        result: null,
        deferrable,
      }));
    await Promise.all(aors.map((aor) => first(aor, 1_000_000, 1, false)));
    await Promise.all(aors.map((aor) => first(aor, 1_300_000, 2, true)));
    assert.equal(store.deferredCount, 600);
    const before = store.stats.transactions;
    const flushed = store.flushDeferred();
    // A REGISTER arriving during the flush commits with the first chunk, not after the last.
    let answeredAt = -1;
    const register = first(AOR, 1_400_000, 9, false).then(() => {
      answeredAt = store.stats.transactions;
    });
    await Promise.all([flushed, register]);
    assert.equal(store.deferredCount, 0);
    assert.equal(store.stats.transactions - before, 3, "600 refreshes in chunks of 256");
    assert.equal(answeredAt, before + 1);
    const disk = new SqliteBindingStore(other.db);
    assert.ok(aors.every((aor) => disk.bindingsOf(aor)[0]!.cseq === 2));
    store.close();
    other.db.close();
  });

  it("writes pending refreshes on close()", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    store.close();
    assert.equal(onDisk()[0]!.expiresAtMs, 1_900_000);
    assert.deepEqual(kindsOnDisk(), ["registered", "refreshed"]);
    other.db.close();
  });

  it("keeps a pending refresh when the write that settled it is rolled back", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    // Settles the pending refresh of b1, then fails on a value STRICT refuses: rolled back alone.
    const failing = store.update(AOR, () => ({
      put: [refreshed(1_400_000, 600, 3), binding({ id: "b2", cseq: 1.5 })],
      remove: [],
      events: [],
      result: null,
    }));
    await assert.rejects(failing, /cannot store REAL value in INTEGER column bindings\.cseq/);
    assert.equal(store.deferredCount, 1);
    assert.equal(store.bindingsOf(AOR)[0]!.cseq, 2);
    await store.flushDeferred();
    assert.equal(onDisk()[0]!.cseq, 2);
    assert.deepEqual(kindsOnDisk(), ["registered", "refreshed"]);
    store.close();
    other.db.close();
  });

  it("runs a batch again after a failed write without meeting its own deferrals", async () => {
    await fresh();
    // As the registrar's plan: a refresh whose CSeq is already stored is refused.
    const refresh = store.update(AOR, (current) => {
      if (current[0]!.cseq >= 2) throw new Error("stale CSeq");
      return change(refreshed(1_300_000, 600, 2), "refreshed", true);
    });
    // Same batch: writes b3, then fails on b4, so the batch is rolled back and run again.
    const failing = store.update(AOR, () => ({
      put: [binding({ id: "b3" }), binding({ id: "b4", cseq: 1.5 })],
      remove: [],
      events: [],
      result: null,
    }));
    assert.equal(await refresh, null);
    await assert.rejects(failing, /cannot store REAL value/);
    assert.equal(store.deferredCount, 1);
    assert.deepEqual(store.bindingsOf(AOR).map((b) => [b.id, b.cseq]), [["b1", 2]]);
    assert.deepEqual(onDisk().map((b) => [b.id, b.cseq]), [["b1", 1]]);
    store.close();
    other.db.close();
  });

  it("counts a pending refresh written once when its batch had to run again", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    const flushing = store.flushDeferred();
    const failing = store.update(AOR, () => ({
      put: [binding({ id: "b3" }), binding({ id: "b4", cseq: 1.5 })],
      remove: [],
      events: [],
      result: null,
    }));
    await flushing;
    await assert.rejects(failing, /cannot store REAL value/);
    assert.equal(store.stats.deferredWritten, 1);
    // The registration, the deferral, then the batch: committed once although it ran twice.
    assert.equal(store.stats.transactions, 3);
    assert.deepEqual(onDisk().map((b) => [b.id, b.cseq]), [["b1", 2]]);
    store.close();
    other.db.close();
  });

  it("writes at once when deferredWriteMs is 0, or when the change is not deferrable", async () => {
    await fresh();
    await store.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", false));
    assert.equal(store.deferredCount, 0);
    assert.equal(onDisk()[0]!.cseq, 2);
    store.close();
    other.db.close();
    const data = join(dir, "immediate");
    const opened = openDataDirectory(data);
    const immediate = new SqliteBindingStore(opened.db, { ownsDatabase: true, deferredWriteMs: 0 });
    await immediate.update(AOR, () => change(binding(), "registered", false));
    await immediate.update(AOR, () => change(refreshed(1_300_000, 600, 2), "refreshed", true));
    assert.equal(immediate.deferredCount, 0);
    immediate.close();
  });
});

// The binding history in its own file: the store's hand-over, the history thread, the move of
// an older version's events out of registrar.db.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BindingEvent, StoredBindingEvent } from "../../src/registrar/binding.ts";
import { HistoryFile, historyPathOf, moveEventsToHistory } from "../../src/store/history_file.ts";
import {
  ERROR_REPORT_INTERVAL_MS,
  HistoryThread,
  openHistoryThread,
} from "../../src/store/history_thread.ts";
import type { HistorySink, HistoryWorker, ToHistory } from "../../src/store/history_thread.ts";
import { openLocationAdmin } from "../../src/store/location_admin.ts";
import { openDatabase, openDataDirectory } from "../../src/store/open_database.ts";
import { SqliteBindingStore } from "../../src/store/sqlite_binding_store.ts";
import { makeBinding, makeEvent, makeTempDir, removeTempDir, T0_MS } from "./_store_fixtures.ts";

const ALICE = "sip:alice@example.com";
const BOB = "sip:bob@example.com";
const CAROL = "sip:carol@example.com";

/** A sink that records what it is handed, in hand-overs. */
class RecordingSink implements HistorySink {
  readonly handed: BindingEvent[][] = [];
  append(events: readonly BindingEvent[]): void {
    this.handed.push([...events]);
  }
  read(): StoredBindingEvent[] {
    return this.handed.flat().map((e, i) => ({ ...e, seq: i + 1 }));
  }
  close(): void {}
}

function event(aor: string, i: number): BindingEvent {
  return makeEvent({ aor, atMs: T0_MS + i, bindingId: `b${i}`, detail: `n${i}` });
}

describe("SqliteBindingStore with a history sink", () => {
  it("hands a batch's events over once it committed, without a rejected write's", async () => {
    const sink = new RecordingSink();
    const { db } = openDataDirectory(":memory:");
    const store = new SqliteBindingStore(db, { ownsDatabase: true, history: sink });
    const alice = store.update(ALICE, () => {
      assert.deepEqual(sink.handed, [], "nothing is handed over before the commit");
      return {
        put: [makeBinding({ id: "a1" })],
        remove: [],
        events: [event(ALICE, 1)],
        result: "alice",
      };
    });
    // Its first binding is written, its second fails: rolled back alone, its event with it.
    const carol = store.update(CAROL, () => ({
      put: [
        makeBinding({ aor: CAROL, id: "c1" }),
        makeBinding({ aor: CAROL, id: "c2", cseq: 1.5 }),
      ],
      remove: [],
      events: [event(CAROL, 2)],
      result: "carol",
    }));
    const failed = store.recordEvents([event(BOB, 3)]);
    assert.equal(await alice, "alice");
    await assert.rejects(carol, /cannot store REAL value/);
    await failed;
    assert.deepEqual(sink.handed.map((batch) => batch.map((e) => e.aor)), [[ALICE, BOB]]);
    assert.deepEqual(store.events().map((e) => e.detail), ["n1", "n3"]);
    // The location database's own table stays empty.
    assert.equal(db.prepare("SELECT count(*) AS n FROM events").get()?.n, 0);
    store.close();
  });
});

describe("SqliteBindingStore with a history that refuses events", () => {
  it("resolves the committed changes all the same, and counts the events lost", async () => {
    const sink = new RecordingSink();
    sink.append = () => {
      throw new Error("database is locked");
    };
    const { db } = openDataDirectory(":memory:");
    const store = new SqliteBindingStore(db, { ownsDatabase: true, history: sink });
    const result = await store.update(ALICE, () => ({
      put: [makeBinding({ id: "a1" })],
      remove: [],
      events: [event(ALICE, 1), event(ALICE, 2)],
      result: "stored",
    }));
    assert.equal(result, "stored");
    assert.equal(store.bindingsOf(ALICE).length, 1);
    assert.equal(store.stats.eventsLost, 2);
    store.close();
  });
});

describe("HistoryThread", () => {
  let dir = "";
  before(() => {
    dir = makeTempDir();
  });
  after(() => removeTempDir(dir));

  it("writes appended events in order, pruned per AoR, readable once flushed", async () => {
    const errors: Error[] = [];
    const path = join(dir, "thread.db");
    const thread = openHistoryThread(path, { historyPerAor: 3, onError: (e) => errors.push(e) });
    try {
      for (let i = 1; i <= 5; i++) thread.append([event(ALICE, i)]);
      thread.append([event(BOB, 6), event(BOB, 7)]);
      await thread.flush();
      assert.deepEqual(thread.read({ aor: ALICE }).map((e) => e.detail), ["n3", "n4", "n5"]);
      assert.deepEqual(thread.read().map((e) => e.detail), ["n3", "n4", "n5", "n6", "n7"]);
      const seqs = thread.read().map((e) => e.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.deepEqual(thread.read({ aor: BOB, limit: 1 })[0]?.kind, "registered");
    } finally {
      await thread.close();
    }
    assert.deepEqual(errors, []);
  });

  it("close() writes what is still queued; later events are counted as dropped", async () => {
    const path = join(dir, "close.db");
    const thread = openHistoryThread(path, { historyPerAor: 50, onError: () => {} });
    thread.append([event(ALICE, 1), event(ALICE, 2)]); // queued: not posted yet
    await thread.close();
    thread.append([event(ALICE, 3)]);
    assert.equal(thread.dropped, 1);
    const file = new HistoryFile(path, 50);
    assert.deepEqual(file.read().map((e) => e.detail), ["n1", "n2"]);
    file.close();
  });

  it("reports a history it cannot open, and keeps answering flush()", async () => {
    const errors: Error[] = [];
    const path = join(dir, "no-such-dir", "history.db");
    const thread = openHistoryThread(path, { historyPerAor: 50, onError: (e) => errors.push(e) });
    thread.append([event(ALICE, 1)]);
    await thread.flush();
    await thread.close();
    assert.ok(errors.length >= 1);
    assert.match(errors[0]!.message, /^cannot write the history: /);
  });

  it("reports the thread's errors once a minute, counting those in between", () => {
    let nowMs = 0;
    const worker: HistoryWorker = {
      onmessage: null,
      onerror: null,
      postMessage() {},
      terminate() {},
    };
    const errors: string[] = [];
    new HistoryThread(worker, "unused.db", {
      historyPerAor: 50,
      onError: (e) => errors.push(e.message),
      nowMs: () => nowMs,
    });
    const fail = () =>
      worker.onmessage!({ data: { type: "error", message: "disk full" } } as MessageEvent);
    fail();
    nowMs += 1000;
    fail();
    fail();
    nowMs += ERROR_REPORT_INTERVAL_MS;
    fail();
    assert.deepEqual(errors, [
      "cannot write the history: disk full",
      "cannot write the history: disk full (and 2 more errors)",
    ]);
  });

  it("a thread that dies costs its events, never a caller's wait", async () => {
    const posted: ToHistory[] = [];
    const worker: HistoryWorker = {
      onmessage: null,
      onerror: null,
      postMessage(message) {
        posted.push(message);
      },
      terminate() {},
    };
    const errors: Error[] = [];
    const thread = new HistoryThread(worker, "unused.db", {
      historyPerAor: 50,
      onError: (e) => errors.push(e),
    });
    thread.append([event(ALICE, 1)]);
    const flushed = thread.flush(); // the thread never answers...
    worker.onerror!({ message: "out of memory", preventDefault() {} } as ErrorEvent);
    await flushed; // ...and the caller goes on all the same
    assert.equal(errors[0]?.message, "history thread failed: out of memory");
    thread.append([event(ALICE, 2), event(ALICE, 3)]);
    assert.equal(thread.dropped, 2);
    await thread.close();
    assert.deepEqual(posted.map((m) => m.type), ["open", "append", "flush"]);
  });
});

describe("reading one AoR's history", () => {
  it("gives it in time order, where the whole history is in the order written", () => {
    const dir = makeTempDir();
    try {
      // The CLI's kick reached the file before the server's thread wrote the registration.
      const file = new HistoryFile(historyPathOf(dir), 50);
      file.append([makeEvent({ kind: "kicked", atMs: T0_MS + 2 })]);
      file.append([makeEvent({ kind: "registered", atMs: T0_MS + 1 })]);
      assert.deepEqual(file.read({ aor: ALICE }).map((e) => e.kind), ["registered", "kicked"]);
      assert.deepEqual(file.read().map((e) => e.kind), ["kicked", "registered"]);
      file.close();
      const admin = openLocationAdmin(dir);
      assert.deepEqual(admin.events({ aor: ALICE }).map((e) => e.kind), [
        "registered",
        "kicked",
      ]);
      assert.deepEqual(
        admin.events({ aor: ALICE, newest: true, limit: 1 }).map((e) => e.kind),
        ["kicked"],
      );
      assert.deepEqual(admin.events().map((e) => e.kind), ["kicked", "registered"]);
      admin.close();
    } finally {
      removeTempDir(dir);
    }
  });
});

describe("moving an older version's history out of registrar.db", () => {
  let dir = "";
  before(() => {
    dir = makeTempDir();
  });
  after(() => removeTempDir(dir));

  /** registrar.db as a version before the history file left it: its events in its own table. */
  function olderDataDirectory(name: string, seqs: number[]): string {
    const dataDir = join(dir, name);
    const { db } = openDataDirectory(dataDir);
    const insert = db.prepare(
      "INSERT INTO events (seq, at_ms, aor, kind, binding_id, contact, source, detail) " +
        "VALUES (?, ?, ?, 'registered', ?, NULL, NULL, NULL)",
    );
    for (const seq of seqs) insert.run(seq, T0_MS + seq, ALICE, `old${seq}`);
    db.close();
    return dataDir;
  }

  it("keeps their seq in an empty history, and empties the old table", () => {
    const dataDir = olderDataDirectory("keep", [7, 9, 12]);
    const admin = openLocationAdmin(dataDir);
    try {
      assert.deepEqual(
        admin.events().map((e) => [e.seq, e.bindingId]),
        [[7, "old7"], [9, "old9"], [12, "old12"]],
      );
      assert.deepEqual(admin.aors(), [ALICE]);
      assert.equal(admin.counts(T0_MS).events, 3);
    } finally {
      admin.close();
    }
    const db = openDatabase(join(dataDir, "registrar.db"));
    assert.equal(db.prepare("SELECT count(*) AS n FROM events").get()?.n, 0);
    db.close();
  });

  it("appends them after a history that already has events, oldest first", () => {
    const dataDir = olderDataDirectory("append", [1, 2]);
    const file = new HistoryFile(historyPathOf(dataDir), 50);
    file.append([event(BOB, 1)]);
    const { db } = openDataDirectory(dataDir);
    assert.equal(moveEventsToHistory(db, file), 2);
    assert.equal(moveEventsToHistory(db, file), 0, "nothing is left to move");
    assert.deepEqual(
      file.read().map((e) => [e.seq, e.aor, e.bindingId]),
      [[1, BOB, "b1"], [2, ALICE, "old1"], [3, ALICE, "old2"]],
    );
    db.close();
    file.close();
  });
});

// Tests for SqliteBindingStore: group commit, savepoint isolation, history, purge, other processes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { clearTimeout, setImmediate, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";
import type { Binding } from "../../src/registrar/binding.ts";
import type { AorChange } from "../../src/registrar/binding_store.ts";
import { openHistoryDatabase } from "../../src/store/history_file.ts";
import { openDatabase } from "../../src/store/open_database.ts";
import {
  COMMIT_WINDOW_OPERATIONS,
  openBindingStore,
  SqliteBindingStore,
} from "../../src/store/sqlite_binding_store.ts";
import { writeTransaction } from "../../src/store/write_transaction.ts";
import {
  makeBinding,
  makeEvent,
  makeTempDir,
  removeTempDir,
  scriptCommand,
  T0_MS,
} from "./_store_fixtures.ts";

const ALICE = "sip:alice@example.com";
const BOB = "sip:bob@example.com";
const CAROL = "sip:carol@example.com";

/** A change that only puts `bindings` and records one "registered" event per binding. */
function putChange<T>(result: T, ...bindings: Binding[]): AorChange<T> {
  return {
    put: bindings,
    remove: [],
    events: bindings.map((b) =>
      makeEvent({ aor: b.aor, atMs: b.registeredAtMs, bindingId: b.id, contact: b.contact })
    ),
    result,
  };
}

function ids(bindings: readonly Binding[]): string[] {
  return bindings.map((b) => b.id);
}

describe("SqliteBindingStore (file database)", () => {
  let dir = "";
  before(() => {
    dir = makeTempDir();
  });
  after(() => removeTempDir(dir));

  it("update() resolves after commit and a second connection sees the binding", async () => {
    const dataDir = join(dir, "visible");
    const store = openBindingStore(dataDir);
    const cli = openDatabase(join(dataDir, "registrar.db"));
    const history = openHistoryDatabase(join(dataDir, "history.db"));
    try {
      const binding = makeBinding();
      const result = await store.update(ALICE, () => putChange("ok", binding));
      assert.equal(result, "ok");
      const row = cli.prepare("SELECT id, cseq, expires_at_ms FROM bindings WHERE aor = ?").get(
        ALICE,
      );
      assert.deepEqual({ ...row }, { id: "b1", cseq: 1, expires_at_ms: binding.expiresAtMs });
      // The history has a file of its own; the location database's old table stays empty.
      assert.equal(history.prepare("SELECT count(*) AS n FROM events").get()?.n, 1);
      assert.equal(cli.prepare("SELECT count(*) AS n FROM events").get()?.n, 0);
    } finally {
      history.close();
      cli.close();
      store.close();
    }
  });

  it("bindingsOf() sees a kick committed by another connection (the CLI)", async () => {
    const dataDir = join(dir, "kick");
    const server = openBindingStore(dataDir);
    const cli = openDatabase(join(dataDir, "registrar.db"));
    const history = openHistoryDatabase(join(dataDir, "history.db"));
    try {
      await server.update(ALICE, () => putChange(null, makeBinding({ id: "b1" })));
      // The CLI's kick: the binding goes in one transaction, its event into the history after.
      writeTransaction(cli, () => {
        cli.prepare("DELETE FROM bindings WHERE aor = ? AND id = ?").run(ALICE, "b1");
      });
      history.prepare(
        "INSERT INTO events (at_ms, aor, kind, binding_id, contact, source, detail) " +
          "VALUES (?, ?, 'kicked', 'b1', NULL, NULL, 'cli')",
      ).run(T0_MS + 1, ALICE);
      assert.deepEqual(server.bindingsOf(ALICE), []);
      // The next server batch plans from the database, not from a cached copy: b1 stays gone.
      const seen = await server.update(ALICE, (current) => ({
        ...putChange(ids(current), makeBinding({ id: "b2", registeredAtMs: T0_MS + 2 })),
      }));
      assert.deepEqual(seen, []);
      assert.deepEqual(ids(server.bindingsOf(ALICE)), ["b2"]);
      assert.deepEqual(
        server.events({ aor: ALICE }).map((e) => [e.kind, e.bindingId, e.detail]),
        [["registered", "b1", null], ["kicked", "b1", "cli"], ["registered", "b2", null]],
      );
    } finally {
      history.close();
      cli.close();
      server.close();
    }
  });

  it("update() queued before a CLI write plans from the CLI's committed rows", async () => {
    const dataDir = join(dir, "interleave");
    const server = openBindingStore(dataDir);
    const cli = openDatabase(join(dataDir, "registrar.db"));
    try {
      await server.update(ALICE, () => putChange(null, makeBinding({ id: "b1" })));
      // Queued now, flushed on the next turn: after the CLI's transaction below has committed.
      const pending = server.update(
        ALICE,
        (current) => putChange(ids(current), makeBinding({ id: "b3", registeredAtMs: T0_MS + 3 })),
      );
      writeTransaction(cli, () => {
        cli.prepare(
          "INSERT INTO bindings (aor, id, contact, contact_uri, q, call_id, cseq, expires_seconds, " +
            "expires_at_ms, registered_at_ms, refreshed_at_ms, source_address, source_port, " +
            "transport, user_agent, path, instance, reg_id) " +
            "VALUES (?, 'cli1', '<sip:x@192.0.2.99>', 'sip:x@192.0.2.99', NULL, 'c', 1, 60, ?, ?, ?, " +
            "'192.0.2.99', 5060, 'udp', NULL, NULL, NULL, NULL)",
        ).run(ALICE, T0_MS + 60_000, T0_MS + 1, T0_MS + 1);
      });
      assert.deepEqual(await pending, ["b1", "cli1"]);
      assert.deepEqual(ids(server.bindingsOf(ALICE)), ["b1", "cli1", "b3"]);
    } finally {
      cli.close();
      server.close();
    }
  });

  it("a batch whose BEGIN cannot get the write lock rejects every update, then recovers", async () => {
    const dataDir = join(dir, "locked");
    const server = openBindingStore(dataDir, { busyTimeoutMs: 0 });
    const cli = openDatabase(join(dataDir, "registrar.db"));
    try {
      cli.exec("BEGIN IMMEDIATE");
      const failures = [ALICE, BOB].map((aor) =>
        server.update(aor, () => putChange(aor, makeBinding({ aor })))
      );
      for (const failure of failures) {
        await assert.rejects(failure, {
          message: "Cannot write to the location database: database is locked",
        });
      }
      assert.equal(server.stats.failedTransactions, 1);
      cli.exec("COMMIT");
      assert.equal(await server.update(ALICE, () => putChange("again", makeBinding())), "again");
      assert.deepEqual(server.allBindings().map((b) => b.aor), [ALICE]);
    } finally {
      if (cli.isTransaction) cli.exec("ROLLBACK");
      cli.close();
      server.close();
    }
  });

  it("close() commits pending updates before closing; later writes reject, reads throw", async () => {
    const dataDir = join(dir, "close");
    const store = openBindingStore(dataDir);
    const pending = store.update(ALICE, () => putChange(7, makeBinding()));
    const events = store.recordEvents([makeEvent({ kind: "auth-failed", bindingId: null })]);
    store.close();
    store.close();
    assert.equal(await pending, 7);
    await events;
    await assert.rejects(store.update(ALICE, () => putChange(8, makeBinding())), {
      message: "Cannot write to the location database: the store is closed",
    });
    await assert.rejects(store.purgeExpired(T0_MS), /the store is closed/);
    assert.throws(() => store.bindingsOf(ALICE), {
      message: "Cannot read the location database: the store is closed",
    });
    const reopened = openBindingStore(dataDir);
    assert.deepEqual(ids(reopened.bindingsOf(ALICE)), ["b1"]);
    assert.deepEqual(reopened.events().map((e) => e.kind), ["registered", "auth-failed"]);
    reopened.close();
  });

  it("recordEvents() is visible to another connection once resolved", async () => {
    const dataDir = join(dir, "record");
    const store = openBindingStore(dataDir);
    const cli = openHistoryDatabase(join(dataDir, "history.db"));
    try {
      await store.recordEvents([
        makeEvent({ kind: "auth-failed", bindingId: null, contact: null, detail: "bad password" }),
      ]);
      assert.deepEqual(
        { ...cli.prepare("SELECT kind, binding_id, contact, detail FROM events").get() },
        { kind: "auth-failed", binding_id: null, contact: null, detail: "bad password" },
      );
    } finally {
      cli.close();
      store.close();
    }
  });

  it("a committed update survives SIGKILL of the process that wrote it", async () => {
    const dataDir = join(dir, "child");
    const script = fileURLToPath(new URL("../_support/store_child.ts", import.meta.url));
    const { command, args } = scriptCommand(script, [dataDir, CAROL]);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<string | null>((resolve) => {
      child.on("exit", (_code, signal) => resolve(signal));
    });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => {
          reject(new Error(`Child did not print "committed" within 30000 ms: ${stderr}`));
        }, 30_000);
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (chunk: string) => stderr += chunk);
        child.stdout.on("data", (chunk: string) => {
          stdout += chunk;
          if (stdout.includes("\n")) {
            clearTimeout(timer);
            resolve(stdout);
          }
        });
        child.on("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`Child exited with code ${code} before committing: ${stderr}`));
        });
      });
      assert.equal(firstLine, "committed child1\n");
    } finally {
      child.kill("SIGKILL");
    }
    assert.equal(await exited, "SIGKILL");

    const store = openBindingStore(dataDir);
    try {
      const [binding, ...others] = store.bindingsOf(CAROL);
      assert.deepEqual(others, []);
      assert.equal(binding?.id, "child1");
      assert.equal(binding?.cseq, 42);
      assert.equal(binding?.q, 0.7);
      assert.equal(binding?.regId, 1);
      assert.deepEqual(store.events({ aor: CAROL }).map((e) => e.kind), ["registered"]);
    } finally {
      store.close();
    }
  });
});

describe("SqliteBindingStore (group commit)", () => {
  it("updates queued in one turn share one transaction and each resolves with its result", async () => {
    const store = openBindingStore(":memory:");
    const before = store.stats.transactions;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const aor = `sip:user${i}@example.com`;
        return store.update(aor, () => putChange(i, makeBinding({ aor, id: `b${i}` })));
      }),
    );
    assert.deepEqual(results, Array.from({ length: 300 }, (_, i) => i));
    assert.equal(store.stats.transactions - before, 1);
    assert.equal(store.allBindings().length, 300);
    store.close();
  });

  it("countBindings() counts what allBindings() would list, without reading it", async () => {
    const store = openBindingStore(":memory:");
    assert.equal(store.countBindings(), 0);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => {
        const aor = `sip:user${i}@example.com`;
        return store.update(aor, () => putChange(i, makeBinding({ aor, id: `b${i}` })));
      }),
    );
    assert.equal(store.countBindings(), store.allBindings().length);
    assert.equal(store.countBindings(), 5);
    store.close();
    assert.throws(() => store.countBindings(), /store is closed/);
  });

  it("more than maxBatch updates are split into several transactions, in order", async () => {
    const store = openBindingStore(":memory:", { maxBatch: 10 });
    const order: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.update(ALICE, (current) => {
          order.push(i);
          assert.equal(current.length, i);
          return putChange(i, makeBinding({ id: `b${String(i).padStart(2, "0")}` }));
        })),
    );
    assert.deepEqual(results, order);
    assert.deepEqual(order, Array.from({ length: 25 }, (_, i) => i));
    assert.equal(store.stats.transactions, 3);
    assert.equal(store.bindingsOf(ALICE).length, 25);
    store.close();
  });

  it("a plan that throws has written nothing: its batch-mates' plans run once", async () => {
    const store = openBindingStore(":memory:");
    const calls = { alice: 0, carol: 0 };
    const first = store.update(ALICE, () => {
      calls.alice++;
      return putChange("alice", makeBinding({ id: "a1" }));
    });
    const throwing = store.update(BOB, () => {
      throw new Error("stale CSeq");
    });
    const last = store.update(CAROL, () => {
      calls.carol++;
      return putChange("carol", makeBinding({ aor: CAROL, id: "c1" }));
    });
    assert.equal(await first, "alice");
    await assert.rejects(throwing, /stale CSeq/);
    assert.equal(await last, "carol");
    assert.deepEqual(calls, { alice: 1, carol: 1 });
    assert.equal(store.stats.transactions, 1);
    store.close();
  });

  it("a failing plan or write rejects only its own update; batch-mates commit", async () => {
    const store = openBindingStore(":memory:");
    const planError = new Error("plan failed");
    const first = store.update(ALICE, () => putChange("alice", makeBinding({ id: "a1" })));
    const throwing = store.update(BOB, () => {
      throw planError;
    });
    const badWrite = store.update(CAROL, () => ({
      put: [
        makeBinding({ aor: CAROL, id: "c1" }),
        makeBinding({ aor: CAROL, id: "c2", cseq: 1.5 }),
      ],
      remove: [],
      events: [makeEvent({ aor: CAROL })],
      result: "carol",
    }));
    const wrongAor = store.update(BOB, () => putChange("bob", makeBinding({ id: "x" })));
    const sameAorAgain = store.update(
      ALICE,
      (current) => putChange(ids(current), makeBinding({ id: "a2", registeredAtMs: T0_MS + 1 })),
    );

    assert.equal(await first, "alice");
    await assert.rejects(throwing, (error: unknown) => error === planError);
    await assert.rejects(badWrite, {
      message:
        `Cannot update AoR "${CAROL}": cannot store REAL value in INTEGER column bindings.cseq`,
    });
    await assert.rejects(wrongAor, {
      message: `Cannot update AoR "${BOB}": binding "x" belongs to AoR "${ALICE}"`,
    });
    assert.deepEqual(await sameAorAgain, ["a1"]);

    assert.equal(store.stats.transactions, 1);
    assert.equal(store.stats.operations, 2);
    assert.equal(store.stats.rejectedOperations, 3);
    assert.deepEqual(ids(store.bindingsOf(ALICE)), ["a1", "a2"]);
    assert.deepEqual(store.bindingsOf(BOB), []);
    assert.deepEqual(store.bindingsOf(CAROL), [], "c1 was rolled back with its savepoint");
    assert.deepEqual(store.events().map((e) => e.aor), [ALICE, ALICE]);
    store.close();
  });

  it("a plan that returns something else than a change is rejected with a TypeError", async () => {
    const store = openBindingStore(":memory:");
    await assert.rejects(
      store.update(ALICE, () => undefined as unknown as AorChange<number>),
      {
        name: "TypeError",
        message: `Cannot update AoR "${ALICE}": plan() must return { put, remove, events, result }`,
      },
    );
    store.close();
  });

  it("a plan may queue another update but may not close the store", async () => {
    const store = openBindingStore(":memory:");
    let nested: Promise<string> | undefined;
    const outer = store.update(ALICE, () => {
      nested = store.update(BOB, () => putChange("nested", makeBinding({ aor: BOB })));
      return putChange("outer", makeBinding());
    });
    const closing = store.update(CAROL, () => {
      store.close();
      return putChange("closing", makeBinding({ aor: CAROL }));
    });
    assert.equal(await outer, "outer");
    await assert.rejects(closing, {
      message: "Cannot close the location store from inside an update plan",
    });
    assert.equal(await nested, "nested");
    assert.equal(store.stats.transactions, 2);
    assert.deepEqual(store.allBindings().map((b) => b.aor), [ALICE, BOB]);
    store.close();
  });

  it("a store built on a caller's database leaves it open on close()", async () => {
    const db = openDatabase(":memory:");
    const store = new SqliteBindingStore(db);
    const pending = store.update(ALICE, () => putChange(1, makeBinding()));
    store.close();
    assert.equal(await pending, 1);
    assert.equal(db.prepare("SELECT count(*) AS n FROM bindings").get()?.n, 1);
    db.close();
  });

  it("the constructor rejects a maxBatch below 1 and a negative historyPerAor", () => {
    const store = openBindingStore(":memory:");
    assert.throws(() => openBindingStore(":memory:", { maxBatch: 0 }), RangeError);
    assert.throws(() => openBindingStore(":memory:", { commitWindowMs: -1 }), RangeError);
    assert.throws(() => openBindingStore(":memory:", { historyPerAor: -1 }), {
      name: "RangeError",
      message: 'Cannot create the location store: historyPerAor must be an integer >= 0, got "-1"',
    });
    store.close();
  });
});

describe("SqliteBindingStore (commit window)", () => {
  /** Resolves after `n` event-loop turns. */
  async function turns(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  function put(store: SqliteBindingStore, i: number): Promise<number> {
    const aor = `sip:user${i}@example.com`;
    return store.update(aor, () => putChange(i, makeBinding({ aor, id: `b${i}` })));
  }
  /** Tells whether a promise has settled, without awaiting it. */
  function track<T>(promise: Promise<T>): { settled: boolean } {
    const state = { settled: false };
    promise.then(() => state.settled = true, () => state.settled = true);
    return state;
  }

  it("an idle store commits a write at the end of its turn, whatever the window", async () => {
    const store = openBindingStore(":memory:", { commitWindowMs: 60_000 });
    const first = track(put(store, 0));
    await turns(3);
    assert.equal(first.settled, true);
    assert.equal(store.stats.transactions, 1);
    store.close();
  });

  it("soon after a commit a small batch waits for the window, and later writes join it", async () => {
    const store = openBindingStore(":memory:", { commitWindowMs: 50 });
    await put(store, 0); // a commit just now: the store is busy
    const started = performance.now();
    const second = track(put(store, 1));
    await turns(3);
    assert.equal(second.settled, false, "committed before the window closed");
    assert.equal(await put(store, 2), 2);
    assert.equal(second.settled, true);
    assert.ok(performance.now() - started >= 45, "the window closed early");
    assert.equal(store.stats.transactions, 2);
    assert.equal(store.stats.operations, 3);
    store.close();
  });

  it("a window that fills up commits at the end of that turn", async () => {
    const store = openBindingStore(":memory:", { commitWindowMs: 60_000 });
    await put(store, 0);
    const first = track(put(store, 1));
    await turns(2); // the window is open
    assert.equal(first.settled, false);
    const rest = Array.from({ length: COMMIT_WINDOW_OPERATIONS - 1 }, (_, i) => put(store, i + 2));
    const all = track(Promise.all(rest));
    await turns(3);
    assert.equal(first.settled, true);
    assert.equal(all.settled, true);
    assert.equal(store.stats.transactions, 2);
    store.close();
  });

  it("a busy store commits a turn's batch of COMMIT_WINDOW_OPERATIONS at once", async () => {
    const store = openBindingStore(":memory:", { commitWindowMs: 60_000 });
    await put(store, 0);
    const batch = Array.from({ length: COMMIT_WINDOW_OPERATIONS }, (_, i) => put(store, i + 1));
    const all = track(Promise.all(batch));
    await turns(3);
    assert.equal(all.settled, true);
    assert.equal(store.stats.transactions, 2);
    store.close();
  });

  it("with commitWindowMs 0 every write is committed at the end of its turn", async () => {
    const store = openBindingStore(":memory:", { commitWindowMs: 0 });
    await put(store, 0);
    const second = track(put(store, 1));
    await turns(3);
    assert.equal(second.settled, true);
    store.close();
  });

  it("close() commits a write waiting in an open window", async () => {
    const store = openBindingStore(":memory:", { commitWindowMs: 60_000 });
    await put(store, 0);
    const waiting = put(store, 1);
    await turns(2);
    store.close();
    assert.equal(await waiting, 1);
    assert.equal(store.stats.transactions, 2);
  });
});

describe("SqliteBindingStore (bindings)", () => {
  it("rows round-trip every Binding field exactly, as plain objects", async () => {
    const store = openBindingStore(":memory:");
    const full = makeBinding({
      id: "Zx9_",
      contact: '"Alice ☎" <sip:alice@[2001:db8::1]:5070;transport=tcp>;q=0.5;' +
        '+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1',
      contactUri: "sip:alice@[2001:db8::1]:5070;transport=tcp",
      q: 0.5,
      callId: "a84b4c76e66710@pc33.example.com",
      cseq: 2 ** 31 - 1,
      expiresSeconds: 7200,
      expiresAtMs: T0_MS + 7_200_123,
      registeredAtMs: T0_MS - 1,
      refreshedAtMs: T0_MS + 123,
      sourceAddress: "2001:db8::1",
      sourcePort: 65535,
      transport: "tcp",
      userAgent: "Yealink SIP-T46U 108.86.0.20",
      path: "<sip:edge1.example.net;lr>,<sip:edge2.example.net;lr>",
      instance: "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>",
      regId: 1,
    });
    const sparse = makeBinding({ id: "b2", q: 1, registeredAtMs: T0_MS + 5 });
    const zeroQ = makeBinding({ id: "b3", q: 0, expiresSeconds: 0, registeredAtMs: T0_MS + 6 });
    await store.update(ALICE, () => putChange(null, full, sparse, zeroQ));
    const stored = store.bindingsOf(ALICE);
    assert.deepEqual(stored, [full, sparse, zeroQ]);
    for (const binding of stored) assert.equal(Object.getPrototypeOf(binding), Object.prototype);
    assert.deepEqual(store.allBindings(), [full, sparse, zeroQ]);
    const [event] = store.events();
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    store.close();
  });

  it("put replaces a binding by (aor, id) and remove deletes only that AoR's binding", async () => {
    const store = openBindingStore(":memory:");
    await store.update(ALICE, () => putChange(null, makeBinding({ id: "b1" })));
    await store.update(BOB, () => putChange(null, makeBinding({ aor: BOB, id: "b1" })));
    const refreshed = makeBinding({ id: "b1", cseq: 2, refreshedAtMs: T0_MS + 1000 });
    await store.update(ALICE, () => putChange(null, refreshed));
    assert.deepEqual(store.bindingsOf(ALICE), [refreshed]);
    await store.update(
      ALICE,
      () => ({ put: [], remove: ["b1", "missing"], events: [], result: 0 }),
    );
    assert.deepEqual(store.bindingsOf(ALICE), []);
    assert.deepEqual(store.allBindings().map((b) => [b.aor, b.id]), [[BOB, "b1"]]);
    store.close();
  });

  it("allBindings() and bindingsOf() order by aor, then registeredAtMs, then id", async () => {
    const store = openBindingStore(":memory:");
    await Promise.all([
      store.update(
        BOB,
        () => putChange(null, makeBinding({ aor: BOB, id: "z", registeredAtMs: T0_MS })),
      ),
      store.update(ALICE, () =>
        putChange(
          null,
          makeBinding({ id: "b", registeredAtMs: T0_MS + 1 }),
          makeBinding({ id: "c", registeredAtMs: T0_MS }),
          makeBinding({ id: "a", registeredAtMs: T0_MS + 1 }),
        )),
    ]);
    assert.deepEqual(store.allBindings().map((b) => `${b.aor} ${b.id}`), [
      `${ALICE} c`,
      `${ALICE} a`,
      `${ALICE} b`,
      `${BOB} z`,
    ]);
    // bindingsOf() sorts in JS (no ORDER BY), to the same order; update() plans from it.
    assert.deepEqual(store.bindingsOf(ALICE).map((b) => b.id), ["c", "a", "b"]);
    await store.update(ALICE, (current) => {
      assert.deepEqual(current.map((b) => b.id), ["c", "a", "b"]);
      return { put: [], remove: [], events: [], result: null };
    });
    store.close();
  });
});

describe("SqliteBindingStore (expiry and history)", () => {
  it("purgeExpired() removes bindings with expiresAtMs <= now and records an event each", async () => {
    const store = openBindingStore(":memory:");
    const soon = makeBinding({ id: "soon", expiresAtMs: T0_MS + 100 });
    const exact = makeBinding({ aor: BOB, id: "exact", expiresAtMs: T0_MS + 200 });
    const later = makeBinding({ id: "later", expiresAtMs: T0_MS + 201, registeredAtMs: T0_MS + 1 });
    await store.update(ALICE, () => putChange(null, soon, later));
    await store.update(BOB, () => putChange(null, exact));
    const afterSeq = store.events().at(-1)?.seq ?? 0;

    assert.deepEqual(await store.purgeExpired(T0_MS + 200), [soon, exact]);
    assert.deepEqual(store.allBindings(), [later]);
    assert.deepEqual(
      store.events({ afterSeq }).map(({ seq: _seq, ...event }) => event),
      [
        { ...makeEvent({ kind: "expired", bindingId: "soon" }), atMs: T0_MS + 200, source: null },
        {
          ...makeEvent({ aor: BOB, kind: "expired", bindingId: "exact" }),
          atMs: T0_MS + 200,
          source: null,
        },
      ],
    );
    assert.deepEqual(await store.purgeExpired(T0_MS + 200), []);
    store.close();
  });

  it("purgeExpired() is ordered with the updates queued around it", async () => {
    const store = openBindingStore(":memory:");
    const before = store.update(
      ALICE,
      () => putChange(null, makeBinding({ id: "old", expiresAtMs: T0_MS })),
    );
    const purged = store.purgeExpired(T0_MS + 1);
    const afterPurge = store.update(
      ALICE,
      () => putChange(null, makeBinding({ id: "new", expiresAtMs: T0_MS })),
    );
    await before;
    assert.deepEqual(ids(await purged), ["old"]);
    await afterPurge;
    assert.deepEqual(ids(store.bindingsOf(ALICE)), ["new"]);
    assert.equal(store.stats.transactions, 1);
    store.close();
  });

  it("event history is bounded per AoR to the newest historyPerAor events", async () => {
    const store = openBindingStore(":memory:", { historyPerAor: 3 });
    for (let i = 0; i < 5; i++) {
      await store.update(ALICE, () => ({
        put: [],
        remove: [],
        events: [makeEvent({ detail: `alice ${i}` })],
        result: null,
      }));
    }
    await store.recordEvents([
      makeEvent({ aor: BOB, detail: "bob 0" }),
      makeEvent({ aor: BOB, detail: "bob 1" }),
      makeEvent({ detail: "alice 5" }),
    ]);
    // Pruning waits for the deferred writes (a statement less per REGISTER); flush them now.
    assert.equal(store.events({ aor: ALICE }).length, 6);
    await store.flushDeferred();
    assert.deepEqual(store.events({ aor: ALICE }).map((e) => e.detail), [
      "alice 3",
      "alice 4",
      "alice 5",
    ]);
    assert.deepEqual(store.events({ aor: BOB }).map((e) => e.detail), ["bob 0", "bob 1"]);
    store.close();
  });

  it("the history prune covers more AoRs than one chunk, and AoRs JSON must escape", async () => {
    const store = openBindingStore(":memory:", { historyPerAor: 1 });
    const aors = Array.from({ length: 300 }, (_, i) => `sip:user${i}@example.com`);
    aors.push('sip:"odd\\one"@example.com', "sip:zoë@example.com");
    await store.recordEvents(
      aors.flatMap((aor) => [makeEvent({ aor, detail: "old" }), makeEvent({ aor, detail: "new" })]),
    );
    await store.recordEvents([makeEvent({ aor: "sip:quiet@example.com", detail: "only" })]);
    await store.flushDeferred();
    for (const aor of aors) {
      assert.deepEqual(store.events({ aor }).map((e) => e.detail), ["new"], aor);
    }
    assert.deepEqual(store.events({ aor: "sip:quiet@example.com" }).map((e) => e.detail), [
      "only",
    ]);
    store.close();
  });

  it("historyPerAor 0 prunes all but the newest event of all, so seq never goes back", async () => {
    const store = openBindingStore(":memory:", { historyPerAor: 0 });
    await store.update(ALICE, () => putChange(null, makeBinding()));
    await store.recordEvents([makeEvent({ kind: "auth-failed" })]);
    await store.flushDeferred();
    const [kept] = store.events();
    assert.equal(kept?.kind, "auth-failed");
    // A pruned AoR's survivor goes with its next event; a new event's seq follows the newest.
    await store.recordEvents([makeEvent({ aor: BOB }), makeEvent({ kind: "expired" })]);
    await store.flushDeferred();
    const now = store.events();
    assert.deepEqual(now.map((e) => [e.aor, e.kind]), [[ALICE, "expired"]]);
    assert.ok(now[0]!.seq > kept!.seq, `${now[0]!.seq} after ${kept!.seq}`);
    assert.equal(store.bindingsOf(ALICE).length, 1);
    store.close();
  });

  it("events() pages oldest first with afterSeq and limit, optionally for one AoR", async () => {
    const store = openBindingStore(":memory:");
    await store.recordEvents(
      Array.from(
        { length: 10 },
        (_, i) => makeEvent({ aor: i % 2 === 0 ? ALICE : BOB, detail: String(i) }),
      ),
    );
    const all = store.events();
    assert.deepEqual(all.map((e) => e.detail), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert.ok(all.every((e, i) => i === 0 || e.seq > (all[i - 1]?.seq ?? Infinity)));

    const pages: string[][] = [];
    let afterSeq = 0;
    for (;;) {
      const page = store.events({ afterSeq, limit: 4 });
      if (page.length === 0) break;
      pages.push(page.map((e) => e.detail ?? ""));
      afterSeq = page.at(-1)?.seq ?? afterSeq;
    }
    assert.deepEqual(pages, [["0", "1", "2", "3"], ["4", "5", "6", "7"], ["8", "9"]]);

    const bobAfter = all[4]?.seq ?? 0;
    assert.deepEqual(
      store.events({ aor: BOB, afterSeq: bobAfter, limit: 2 }).map((e) => e.detail),
      [
        "5",
        "7",
      ],
    );
    assert.deepEqual(store.events({ aor: "sip:nobody@example.com" }), []);
    store.close();
  });
});

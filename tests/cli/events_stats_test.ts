// `registrar events` (including --follow) and `registrar stats` with and without a heartbeat.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { main } from "../../src/cli/main.ts";
import { writeServerStatus } from "../../src/store/meta.ts";
import { openDataDirectory } from "../../src/store/open_database.ts";
import { openBindingStore } from "../../src/store/sqlite_binding_store.ts";
import { waitFor } from "../_support/wait_for.ts";
import { cli, fakeContext, makeBinding, makeEvent, seed, T0_MS, tempDir } from "./_cli_harness.ts";

describe("registrar events", () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await seed(dir, [], [
      makeEvent({ atMs: T0_MS - 3000 }),
      makeEvent({ atMs: T0_MS - 2000, kind: "refreshed" }),
      makeEvent({ atMs: T0_MS - 1000, kind: "unregistered", detail: null }),
    ]);
    await seed(dir, [], [makeEvent({ aor: "sip:alice@office.test", bindingId: "a11ce1" })]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("events prints every event in commit order, one line each", async () => {
    const t = await cli(["events", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    const lines = t.out.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.equal(
      lines[0],
      "2023-11-14 22:13:17  registered    sip:bob@office.test  b0b001  from 198.51.100.20:5060  " +
        "<sip:bob@198.51.100.20:5060>  expires=3600",
    );
    assert.match(lines[3]!, /registered +sip:alice@office\.test +a11ce1/);
  });

  it("events --json --user --limit gives the newest N of one user, oldest first", async () => {
    const t = await cli(["events", "--json", "--user", "bob", "--limit", "2", "--data", dir]);
    const events = t.out.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => [e.seq, e.kind]), [[2, "refreshed"], [3, "unregistered"]]);
    assert.deepEqual(Object.keys(events[0]), [
      "seq",
      "at",
      "aor",
      "kind",
      "bindingId",
      "contact",
      "source",
      "detail",
    ]);
    const none = await cli(["events", "--user", "nobody", "--data", dir]);
    assert.equal(none.out, "No events.\n");
  });

  it("events --follow streams new events until shutdown", async () => {
    const run = fakeContext();
    const done = main(
      ["events", "--follow", "--json", "--user", "bob@office.test", "--data", dir],
      run.ctx,
    );
    await waitFor(() => run.out().split("\n").length === 4); // the 3 of bob's backlog
    const store = openBindingStore(dir);
    try {
      await store.recordEvents([
        makeEvent({ aor: "sip:alice@office.test", kind: "auth-failed" }),
        makeEvent({ kind: "kicked", source: null, detail: "cli" }),
      ]);
    } finally {
      store.close();
    }
    await waitFor(() => run.out().includes('"kicked"'));
    run.shutdown();
    assert.equal(await done, 0);
    const kinds = run.out().trimEnd().split("\n").map((l) => JSON.parse(l).kind);
    assert.deepEqual(kinds, ["registered", "refreshed", "unregistered", "kicked"]);
  });
});

describe("registrar stats", () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await seed(dir, [
      makeBinding(),
      makeBinding({ id: "b0b002", contactUri: "sip:bob@198.51.100.2" }),
      makeBinding({ aor: "sip:old@office.test", id: "o1", expiresAtMs: T0_MS - 1 }),
    ], [makeEvent()]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("stats counts AoRs, bindings, users and events; no heartbeat means not running", async () => {
    const t = await cli(["stats", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    assert.equal(
      t.out,
      "AoRs:     1 with a current binding\n" +
        "bindings: 3 (1 expired, not yet purged)\n" +
        "users:    0\n" +
        "events:   1\n" +
        "server: not running\n",
    );
  });

  it("stats shows the running server from a fresh heartbeat, and not a stale one", async () => {
    const { db } = openDataDirectory(dir);
    try {
      writeServerStatus(db, {
        pid: 4242,
        startedAtMs: T0_MS - 7_500_000,
        updatedAtMs: T0_MS - 3_000,
        listen: ["udp:0.0.0.0:5060"],
        counters: {
          received: 1234,
          dropped: 2,
          retransmissions: 3,
          responses: { "4xx": 30, "2xx": 1200 },
        },
        registersPerSecond: 4.25,
      });
    } finally {
      db.close();
    }
    const t = await cli(["stats", "--data", dir]);
    assert.match(
      t.out,
      /server: running \(pid 4242, up 2h05m, heartbeat 3s ago\)\n {2}listening: udp:0\.0\.0\.0:5060\n {2}requests: 1234 received, 2 dropped, 3 retransmissions\n {2}responses: 2xx 1200, 4xx 30\n {2}REGISTER rate: 4\.3\/s\n$/,
    );
    const json = JSON.parse((await cli(["stats", "--json", "--data", dir])).out);
    assert.equal(json.server.running, true);
    assert.equal(json.server.pid, 4242);
    assert.equal(json.bindings, 3);
    const stale = await cli(["stats", "--data", dir], { nowMs: T0_MS + 20_000 });
    assert.match(stale.out, /server: not running \(last heartbeat 23s ago, pid 4242\)\n$/);
  });
});

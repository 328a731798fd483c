// warmUp(): registrations through a throwaway pipeline; nothing of it reaches the data directory.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/clock.ts";
import { FakeClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import { DEFAULT_SERVE_CONFIG } from "../../src/server/serve_config.ts";
import type { ServeConfig } from "../../src/server/serve_config.ts";
import { startServer } from "../../src/server/start_server.ts";
import { warmUp } from "../../src/server/warm_up.ts";
import { openDatabase } from "../../src/store/open_database.ts";
import { runRegistrar, spawnServe } from "../_support/spawn_registrar.ts";

function config(overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    ...DEFAULT_SERVE_CONFIG,
    dataDir: ":memory:",
    listen: [{ address: "127.0.0.1", port: 0 }],
    ...overrides,
  };
}

/** A clock that moves `stepMs` every time it is read. */
function tickingClock(stepMs: number): Clock {
  let nowMs = Date.UTC(2026, 10, 22, 12, 0, 0);
  return { nowMs: () => (nowMs += stepMs) };
}

describe("warmUp()", () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 22, 12, 0, 0));

  it("registers and refreshes every phone without auth", async () => {
    const report = await warmUp(config({ auth: "off" }), 600, 60_000, clock);
    assert.equal(report.registrations, 600);
    assert.equal(report.registered, 600);
  });

  it("answers every challenge like a phone with auth, for each digest algorithm", async () => {
    for (const digestAlgorithms of [["SHA-256", "MD5"], ["MD5"]] as const) {
      const report = await warmUp(
        config({
          auth: "required",
          domains: ["office.test"],
          digestAlgorithms: [...digestAlgorithms],
        }),
        300,
        60_000,
        clock,
      );
      assert.deepEqual(
        report,
        { registrations: 300, registered: 300, ms: 0 },
        digestAlgorithms.join(),
      );
    }
  });

  it("uses a domain of its own when any domain is accepted", async () => {
    const report = await warmUp(config({ auth: "required", domains: [] }), 100, 60_000, clock);
    assert.equal(report.registered, 100);
  });

  it("sends as many REGISTERs as asked, an odd number too", async () => {
    const report = await warmUp(config({ auth: "off" }), 301, 60_000, clock);
    assert.equal(report.registrations, 301);
    assert.equal(report.registered, 301);
  });

  it("is not stopped by an allowlist or a rate limit that its own address would hit", async () => {
    const report = await warmUp(
      config({ auth: "required", allow: ["10.0.0.0/8"], rateLimitPerSecond: 1 }),
      300,
      60_000,
      clock,
    );
    assert.equal(report.registered, 300);
  });

  it("asks for an interval the configured limits accept", async () => {
    const report = await warmUp(
      config({
        auth: "off",
        minExpiresSeconds: 7200,
        defaultExpiresSeconds: 7200,
        maxExpiresSeconds: 86_400,
      }),
      100,
      60_000,
      clock,
    );
    assert.equal(report.registered, 100);
  });

  it("stops at the first batch boundary past its time budget", async () => {
    const report = await warmUp(config({ auth: "off" }), 5_000, 5, tickingClock(1));
    assert.ok(report.registrations > 0, "the first batch always runs");
    assert.ok(report.registrations < 5_000, `stopped early: ${report.registrations}`);
    assert.equal(report.registered, report.registrations);
    assert.ok(report.ms >= 5);
  });

  it("asked for none, does nothing", async () => {
    assert.deepEqual(await warmUp(config({ auth: "off" }), 0, 60_000, clock), {
      registrations: 0,
      registered: 0,
      ms: 0,
    });
  });
});

describe("startServer() with a warm-up", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-warm-up-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("logs it in the ready line and leaves no binding, user or event behind", async () => {
    const lines: string[] = [];
    const logger = createLogger((line) => lines.push(line), "info");
    const server = await startServer(
      config({
        dataDir: dir,
        auth: "required",
        domains: ["office.test"],
        warmUpRegistrations: 400,
      }),
      { clock: new FakeClock(Date.UTC(2026, 10, 22, 12, 0, 0)), logger },
    );
    await server.close();
    const ready = lines.find((l) => / ready /.test(l));
    assert.match(ready ?? "", / warmUp="400\/400 in 0 ms"/);
    const db = openDatabase(join(dir, "registrar.db"));
    try {
      for (const table of ["bindings", "events", "users"]) {
        const row = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
        assert.equal(row.n, 0, table);
      }
    } finally {
      db.close();
    }
  });
});

describe("registrar serve --warm-up", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-warm-up-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("warms up before it is ready, and list shows nothing of it", async () => {
    const serve = await spawnServe([
      "--auth",
      "off",
      "--listen",
      "127.0.0.1:0",
      "--data",
      dir,
      "--warm-up",
      "300",
    ]);
    try {
      assert.match(serve.stderr(), / warmUp="300\/300 in \d+ ms"/);
      const list = await runRegistrar(["list", "--data", dir]);
      assert.equal(list.code, 0, list.stderr);
      assert.doesNotMatch(list.stdout, /warm-up/);
    } finally {
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  });
});

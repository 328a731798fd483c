import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import { AfterBurst } from "../../src/server/burst_memory.ts";
import { DEFAULT_SERVE_CONFIG } from "../../src/server/serve_config.ts";
import { startServer } from "../../src/server/start_server.ts";
import { TIMER_J_MS } from "../../src/transaction/server_transactions.ts";
import { newBranch, registerText } from "../_support/sip_messages.ts";
import { UdpClient } from "../_support/udp_client.ts";

describe("AfterBurst", () => {
  it("says once that a burst is over when the table drained to a tenth of its peak", () => {
    const burst = new AfterBurst();
    const said = [0, 4_000, 30_000, 30_000, 12_000, 3_001, 3_000, 2_000, 0, 0].map((size) =>
      burst.observe(size)
    );
    assert.deepEqual(said, [false, false, false, false, false, false, true, false, false, false]);
  });

  it("ignores tables that never held minPeak entries, however they shrink", () => {
    const burst = new AfterBurst({ minPeak: 10_000 });
    assert.deepEqual([9_999, 0, 9_000, 0].map((size) => burst.observe(size)), [
      false,
      false,
      false,
      false,
    ]);
  });

  it("watches for the next burst after one ended", () => {
    const burst = new AfterBurst({ minPeak: 100, drainedFraction: 0.5 });
    assert.deepEqual([200, 100, 50, 300, 150, 90].map((size) => burst.observe(size)), [
      false,
      true,
      false,
      false,
      true,
      false,
    ]);
  });
});

describe("serve gives a burst's garbage back", () => {
  it("collects once, at the housekeeping round that finds the transactions of a burst gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "registrar-burst-"));
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    let collections = 0;
    const server = await startServer(
      {
        ...DEFAULT_SERVE_CONFIG,
        dataDir: dir,
        auth: "off",
        listen: [{ address: "127.0.0.1", port: 0 }],
      },
      {
        clock,
        logger: silentLogger,
        collectGarbage: () => collections++,
        afterBurst: new AfterBurst({ minPeak: 3 }),
      },
    );
    const phone = await UdpClient.open();
    try {
      const port = server.transports[0]!.local.port;
      for (const user of ["ann", "ben", "cat"]) {
        const via = `SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${newBranch()}`;
        assert.equal((await phone.request(registerText({ user, via }), port)).status, 200);
      }
      await server.sweep(); // three transactions live (Timer J): the burst is not over
      assert.equal(collections, 0);
      clock.advance(TIMER_J_MS + 1);
      await server.sweep();
      assert.equal(collections, 1);
      await server.sweep();
      assert.equal(collections, 1);
    } finally {
      await phone.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

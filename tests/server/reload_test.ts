// Configuration reload: reconfigure() in-process, and SIGHUP to a real `serve` process.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import { DEFAULT_SERVE_CONFIG } from "../../src/server/serve_config.ts";
import type { ServeConfig } from "../../src/server/serve_config.ts";
import { startServer } from "../../src/server/start_server.ts";
import { spawnServe } from "../_support/spawn_registrar.ts";
import { UdpClient } from "../_support/udp_client.ts";
import { registerText } from "../_support/sip_messages.ts";

describe("RunningServer.reconfigure()", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-reconf-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("applies expiry limits and the allowlist at once, and names what needs a restart", async () => {
    const config: ServeConfig = {
      ...DEFAULT_SERVE_CONFIG,
      dataDir: dir,
      auth: "off",
      listen: [{ address: "127.0.0.1", port: 0 }],
    };
    const server = await startServer(config, { clock: new FakeClock(), logger: silentLogger });
    const phone = await UdpClient.open();
    try {
      const port = server.transports[0]!.local.port;
      assert.equal(
        (await phone.request(registerText({ expires: 100, cseq: 1 }), port)).status,
        200,
      );
      const result = server.reconfigure({
        ...config,
        minExpiresSeconds: 120,
        listen: [{ address: "127.0.0.1", port: 5999 }],
      });
      assert.deepEqual(result, { applied: ["minExpiresSeconds"], needsRestart: ["listen"] });
      const brief = await phone.request(registerText({ expires: 100, cseq: 2 }), port);
      assert.equal(brief.status, 423);
      assert.deepEqual(brief.headers.get("min-expires"), ["120"]);

      server.reconfigure({ ...config, minExpiresSeconds: 120, allow: ["10.0.0.0/8"] });
      phone.send(registerText({ expires: 300, cseq: 3 }), port);
      assert.equal(await phone.silentFor(200), true, "127.0.0.1 is no longer allowed");
      assert.throws(
        () => server.reconfigure({ ...config, allow: ["nonsense"] }),
        /Invalid network/,
      );
    } finally {
      await phone.close();
      await server.close();
    }
  });
});

describe("serve on SIGHUP", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-hup-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("re-reads its config file; a broken file keeps the running configuration", async () => {
    const file = join(dir, "registrar.json");
    writeFileSync(file, JSON.stringify({ "min-expires": 60 }));
    const serve = await spawnServe(["--auth", "off", "--listen", "127.0.0.1:0", "--data", dir]);
    const phone = await UdpClient.open();
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 100 && !pattern.test(serve.stderr()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(serve.stderr(), pattern);
    };
    try {
      assert.equal(
        (await phone.request(registerText({ expires: 100, cseq: 1 }), serve.port)).status,
        200,
      );
      writeFileSync(file, JSON.stringify({ "min-expires": 120 }));
      process.kill(serve.child.pid!, "SIGHUP");
      await waitFor(/info reloaded changed=minExpiresSeconds/);
      const brief = await phone.request(registerText({ expires: 100, cseq: 2 }), serve.port);
      assert.equal(brief.status, 423);

      writeFileSync(file, "{ not json");
      process.kill(serve.child.pid!, "SIGHUP");
      await waitFor(/warn reload failed/);
      assert.equal(
        (await phone.request(registerText({ expires: 100, cseq: 3 }), serve.port)).status,
        423,
      );
    } finally {
      await phone.close();
      process.kill(serve.child.pid!, "SIGTERM");
      assert.equal(await serve.exited, 0);
    }
  });
});

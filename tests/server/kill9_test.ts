// kill -9 loses nothing that was acknowledged: a real `serve` process, killed mid-life.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBindingStore } from "../../src/store/sqlite_binding_store.ts";
import { runRegistrar, spawnServe } from "../_support/spawn_registrar.ts";
import { UdpClient } from "../_support/udp_client.ts";
import { registerText } from "../_support/sip_messages.ts";

describe("registrar serve killed with SIGKILL", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-kill9-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps every acknowledged binding, and serves them again after restart", async () => {
    const args = ["--auth", "off", "--listen", "127.0.0.1:0", "--data", dir];
    const first = await spawnServe(args);
    const phone = await UdpClient.open();
    const users = Array.from({ length: 40 }, (_, i) => `k${i}`);
    try {
      // Fire all at once so several land in one group commit, then wait for every 200.
      for (const user of users) phone.send(registerText({ user, expires: 3600 }), first.port);
      const answers = await Promise.all(users.map(() => phone.next(5000)));
      assert.equal(answers.filter((a) => a.startsWith("SIP/2.0 200 ")).length, users.length);
      first.child.kill("SIGKILL");
      assert.equal(await first.exited, "SIGKILL");

      const store = openBindingStore(dir);
      assert.equal(store.allBindings().length, users.length);
      store.close();

      const second = await spawnServe(args);
      assert.match(second.stderr(), new RegExp(`bindings=${users.length}`));
      const list = await runRegistrar(["list", "--json", "--data", dir]);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(JSON.parse(list.stdout).length, users.length);
      // process.kill, not child.kill: Deno then reports the real exit status, not the signal sent.
      process.kill(second.child.pid!, "SIGTERM");
      const how = await second.exited;
      assert.equal(how, 0, second.stderr());
    } finally {
      await phone.close();
    }
  });
});

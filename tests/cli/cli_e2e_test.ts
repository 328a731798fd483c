// The CLI as a separate process against a running `serve` on the same data directory.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openLocationAdmin } from "../../src/store/location_admin.ts";
import { runRegistrar, spawnServe } from "../_support/spawn_registrar.ts";
import type { ServeProcess } from "../_support/spawn_registrar.ts";
import { registerText } from "../_support/sip_messages.ts";
import { readResponse, UdpClient } from "../_support/udp_client.ts";
import { tempDir } from "./_cli_harness.ts";

/** Drops the fields of an export that depend on when it was taken. */
function timeless(text: string): unknown {
  const doc = JSON.parse(text);
  delete doc.exportedAt;
  for (const b of doc.bindings) {
    delete b.expiresInSeconds;
    delete b.expired;
  }
  return doc;
}

describe("registrar CLI against a running server", () => {
  let dir: string;
  let work: string;
  let server: ServeProcess;
  let phone: UdpClient;
  before(async () => {
    dir = tempDir("registrar-cli-e2e-");
    work = tempDir("registrar-cli-e2e-work-");
    server = await spawnServe(["--auth", "off", "--listen", "127.0.0.1:0", "--data", dir]);
    phone = await UdpClient.open();
  });
  after(async () => {
    await phone.close();
    server.child.kill("SIGTERM");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it("list, kick and inspect see and change what the server stores", async () => {
    const contact = "<sip:bob@192.0.2.10:5060>";
    for (const cseq of [1, 2]) {
      const answer = await phone.request(
        registerText({ contacts: [contact], expires: 600, cseq }),
        server.port,
      );
      assert.equal(answer.status, 200);
    }
    // A plain refresh is acknowledged at once and written within 2 s (deferredWriteMs): wait for
    // it to reach the disk, so the history below has it before the kick.
    const onDisk = openLocationAdmin(dir);
    for (let i = 0; i < 100 && onDisk.events({ aor: "sip:bob@office.test" }).length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(onDisk.events({ aor: "sip:bob@office.test" }).map((e) => e.kind), [
      "registered",
      "refreshed",
    ]);
    onDisk.close();
    const list = await runRegistrar(["list", "--json", "--data", dir]);
    assert.equal(list.code, 0, list.stderr);
    const [bound] = JSON.parse(list.stdout);
    assert.equal(bound.aor, "sip:bob@office.test");
    assert.deepEqual(bound.source, { address: "127.0.0.1", port: phone.port, transport: "udp" });

    const kick = await runRegistrar(["kick", "bob@office.test", bound.id, "--data", dir]);
    assert.equal(kick.code, 0, kick.stderr);
    assert.equal(
      kick.stdout,
      `Removed ${bound.id} sip:bob@192.0.2.10:5060 from sip:bob@office.test\n`,
    );
    // The server keeps no copy: the next query (no Contact) no longer lists it.
    const query = await phone.request(registerText({ contacts: [], cseq: 3 }), server.port);
    assert.equal(query.status, 200);
    assert.equal(query.headers.get("contact"), undefined);

    const inspect = await runRegistrar(["inspect", "bob@office.test", "--data", dir]);
    assert.equal(inspect.code, 0, inspect.stderr);
    const kinds = [...inspect.stdout.matchAll(/^ {2}\d\d-\d\d \d\d:\d\d:\d\d +(\S+)/gm)]
      .map((m) => m[1]);
    assert.deepEqual(kinds, ["registered", "refreshed", "kicked"]);
    assert.match(inspect.stdout, /0 current bindings/);
  });

  it("export → import into another directory round-trips the location table", async () => {
    for (const user of ["carol", "dave"]) {
      const answer = await phone.request(registerText({ user, expires: 900 }), server.port);
      assert.equal(answer.status, 200);
    }
    const file = join(work, "backup.json");
    const exported = await runRegistrar(["export", file, "--data", dir]);
    assert.equal(exported.code, 0, exported.stderr);
    const copy = join(work, "copy");
    const imported = await runRegistrar(["import", file, "--data", copy]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^Imported 2 bindings from /);
    const again = await runRegistrar(["export", "--data", copy]);
    assert.deepEqual(timeless(again.stdout), timeless(readFileSync(file, "utf8")));
  });

  it("bad arguments exit 2 with one error line and the usage line", async () => {
    const t = await runRegistrar(["kick", "--data", dir, "--bogus"]);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /^registrar kick: Unknown option "--bogus"\nUsage: registrar kick USER/);
    assert.equal(t.stdout, "");
  });

  it("a kick during a burst of REGISTERs leaves server and database consistent", async () => {
    const victim = await phone.request(
      registerText({ user: "victim", callId: "victim-call", expires: 3600 }),
      server.port,
    );
    assert.equal(victim.status, 200);
    let kickDone = false;
    const kick = runRegistrar(["kick", "victim@office.test", "--data", dir]).finally(() => {
      kickDone = true;
    });
    const acknowledged = new Set<string>();
    const phones = await Promise.all(Array.from({ length: 12 }, () => UdpClient.open()));
    let sent = 0;
    try {
      // Keep waves of 60 REGISTERs in flight until the kick has finished and 300 were sent.
      for (let wave = 0; (!kickDone || sent < 300) && wave < 16; wave++) {
        const senders = [0, 1, 2, 3, 4, 5].map((k) => phones[(wave * 6 + k) % phones.length]!);
        await Promise.all(senders.map(async (sender) => {
          for (let i = 0; i < 10; i++) {
            const n = sent++;
            sender.send(
              registerText({
                user: `load${n}`,
                callId: `load${n}`,
                expires: 3600,
              }),
              server.port,
            );
          }
          for (let i = 0; i < 10; i++) {
            const response = readResponse(await sender.next(5000));
            const callId = response.headers.get("call-id")?.[0] ?? "";
            if (response.status === 200) acknowledged.add(callId);
          }
        }));
      }
    } finally {
      await Promise.all(phones.map((p) => p.close()));
    }
    const result = await kick;
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^Removed \S+ sip:victim@192\.0\.2\.10:5060 from sip:victim@office\.test\n$/,
    );
    assert.ok(kickDone, "the kick ran while REGISTERs were in flight");
    assert.equal(acknowledged.size, sent, "every REGISTER of the burst was answered 200");

    const query = await phone.request(
      registerText({ user: "victim", callId: "victim-call", contacts: [], cseq: 2 }),
      server.port,
    );
    assert.equal(query.status, 200);
    assert.equal(query.headers.get("contact"), undefined);

    const admin = openLocationAdmin(dir);
    try {
      assert.equal(admin.integrityCheck(), "ok");
      assert.deepEqual(admin.store.bindingsOf("sip:victim@office.test"), []);
      const stored = new Set(admin.store.allBindings().map((b) => b.aor));
      for (const user of acknowledged) {
        assert.ok(stored.has(`sip:${user}@office.test`), `${user} was acknowledged but is missing`);
      }
      const kicked = admin.events({ aor: "sip:victim@office.test" }).map((e) => e.kind);
      assert.deepEqual(kicked, ["registered", "kicked"]);
    } finally {
      admin.close();
    }
  });
});

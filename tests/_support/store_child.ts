// store_child: a child process that commits one binding, prints "committed", then waits to be killed.
import process from "node:process";
import { setInterval } from "node:timers";
import { openBindingStore } from "../../src/store/sqlite_binding_store.ts";

const dataDir = process.argv[2];
const aor = process.argv[3] ?? "sip:child@example.com";
if (dataDir === undefined) {
  process.stderr.write("usage: store_child.ts DATA_DIR [AOR]\n");
  process.exit(2);
}

const store = openBindingStore(dataDir);
const nowMs = 1_700_000_000_000;
const id = await store.update(aor, () => ({
  put: [{
    id: "child1",
    aor,
    contact:
      '<sip:child@198.51.100.7:5060>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>"',
    contactUri: "sip:child@198.51.100.7:5060",
    q: 0.7,
    callId: "child-call",
    cseq: 42,
    expiresSeconds: 600,
    expiresAtMs: nowMs + 600_000,
    registeredAtMs: nowMs,
    refreshedAtMs: nowMs,
    sourceAddress: "198.51.100.7",
    sourcePort: 5060,
    transport: "udp",
    userAgent: "child/1.0",
    path: null,
    instance: "<urn:uuid:00000000-0000-0000-0000-000000000001>",
    regId: 1,
  }],
  remove: [],
  events: [{
    atMs: nowMs,
    aor,
    kind: "registered",
    bindingId: "child1",
    contact: "<sip:child@198.51.100.7:5060>",
    source: "198.51.100.7:5060",
    detail: null,
  }],
  result: "child1",
}));
process.stdout.write(`committed ${id}\n`);
// Stay alive with the database open (nothing checkpointed, WAL not merged) until SIGKILL.
setInterval(() => {}, 60_000);

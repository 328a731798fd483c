// pipeline.ts: CPU per REGISTER of the request pipeline in one process, without sipp or sockets.
//
//   bun bench/tools/pipeline.ts [--auth [--challenge-only]] [--count N] [--burst N] [--root DIR]
//                               [--rounds N]
//
// Wires the same pieces `serve` wires (SipServer, ServerTransactions, Registrar, SqliteBindingStore
// on a file database with synchronous=FULL, DigestAuthenticator with --auth) to a transport that
// only records what would be sent, then feeds sipp-like REGISTERs of distinct users, `burst` per
// event-loop turn (the group-commit size a loaded server sees), and waits for every answer. With
// --auth each registration is REGISTER → 401 → REGISTER with MD5 credentials → 200, as
// bench/sipp/register_auth.xml does; --challenge-only stops each at its 401, so that the two legs
// can be told apart (the second costs the difference). Prints CPU µs per registration
// (process.cpuUsage: every thread, JIT included), the part of it on this thread (the one that
// answers; Linux), and wall µs, per round after one warm-up round. With a root that has the
// history thread (history_thread.ts), events go there, as in `serve`.
//
// The figure to compare two builds with: it leaves out sipp, the kernel's UDP path and the other
// load on the machine, which make the sipp benchmark's CPU figure move by ±10 %. `--root` runs the
// pipeline of another checkout (e.g. a `git worktree` of the base commit).
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    auth: { type: "boolean", default: false },
    "challenge-only": { type: "boolean", default: false },
    count: { type: "string", default: "20000" },
    burst: { type: "string", default: "4" },
    rounds: { type: "string", default: "5" },
    root: { type: "string", default: resolve(import.meta.dirname ?? ".", "../..") },
  },
});
if (args["challenge-only"] && !args.auth) {
  console.error("pipeline: --challenge-only needs --auth");
  process.exit(2);
}
const challengeOnly = args["challenge-only"];
const count = Number(args.count);
const burst = Number(args.burst);
const rounds = Number(args.rounds);
const src = join(args.root, "src");

const { openDataDirectory } = await import(join(src, "store/open_database.ts"));
const { SqliteBindingStore } = await import(join(src, "store/sqlite_binding_store.ts"));
const { SqliteUserStore } = await import(join(src, "store/sqlite_user_store.ts"));
const { DEFAULT_REGISTRAR_OPTIONS, Registrar } = await import(
  join(src, "registrar/registrar.ts")
);
const { DEFAULT_SERVE_CONFIG } = await import(join(src, "server/serve_config.ts"));
const { ServerTransactions, TIMER_J_MS } = await import(
  join(src, "transaction/server_transactions.ts")
);
const { SipServer } = await import(join(src, "server/sip_server.ts"));
const { DigestAuthenticator } = await import(join(src, "auth/digest_authenticator.ts"));
const { NonceService } = await import(join(src, "auth/nonce.ts"));
const { NonceCounts } = await import(join(src, "auth/nonce_counts.ts"));
const { BanTracker } = await import(join(src, "auth/ban_tracker.ts"));
const { silentLogger } = await import(join(src, "log.ts"));
// serve's native pieces where the runtime has them (absent in checkouts from before they existed).
const { processContext } = await import(join(src, "runtime.ts"));
const hmacSha256 = processContext().hmacSha256;

const REALM = "127.0.0.1";
const dir = mkdtempSync(join(tmpdir(), "registrar-pipeline-"));
const { db } = openDataDirectory(dir);
// serve's history thread, in checkouts that have one (before, the store wrote the history).
const historyModule = join(src, "store/history_thread.ts");
const history = existsSync(historyModule)
  ? (await import(historyModule)).openHistoryThread(join(dir, "history.db"), {
    historyPerAor: 50,
    onError: (error: Error) => console.error(`pipeline: ${error.message}`),
  })
  : undefined;
const store = new SqliteBindingStore(db, { ownsDatabase: true, history });
const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

let authenticator = null;
const users = (rounds + 1) * count;
if (args.auth) {
  const userStore = new SqliteUserStore(db);
  userStore.importMany(
    Array.from({ length: users }, (_, i) => ({
      username: `user${i}`,
      realm: REALM,
      ha1Md5: md5(`user${i}:${REALM}:pw${i}`),
      ha1Sha256: sha256(`user${i}:${REALM}:pw${i}`),
      admin: false,
    })),
    Date.now(),
  );
  authenticator = new DigestAuthenticator({
    users: userStore,
    algorithms: ["MD5"],
    nonces: new NonceService(
      randomBytes(32),
      DEFAULT_SERVE_CONFIG.nonceTtlSeconds * 1000,
      hmacSha256,
    ),
    nonceCounts: new NonceCounts(200_000, DEFAULT_SERVE_CONFIG.nonceTtlSeconds * 1000),
    bans: new BanTracker(),
    logger: silentLogger,
  });
}
// serve's defaults, so the figure follows them.
const registrar = new Registrar(
  store,
  { ...DEFAULT_REGISTRAR_OPTIONS, domains: [REALM] },
  authenticator,
);
const server = new SipServer({
  registrar,
  transactions: new ServerTransactions({
    timerJMs: TIMER_J_MS,
    maxTransactions: DEFAULT_SERVE_CONFIG.maxTransactions,
  }),
  clock: { nowMs: () => Date.now() },
  logger: silentLogger,
  serverHeader: "registrar/bench",
});

// Answers by Call-ID; a registration finishes on its 200.
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const pending = new Map<string, (status: number, text: string) => void>();
const transport = {
  local: { address: "127.0.0.1", port: 5180 },
  send(data: Uint8Array) {
    const text = decoder.decode(data);
    const status = Number(text.slice(8, 11));
    const callId = /\r\nCall-ID: *([^\r]+)/i.exec(text)?.[1] ?? "";
    pending.get(callId)?.(status, text);
  },
  close() {},
};
const remote = { address: "127.0.0.1", port: 5192, family: "IPv4" };

function register(i: number, callId: string, cseq: number, authorization: string): Uint8Array {
  const user = `user${i}`;
  return encoder.encode(
    `REGISTER sip:${REALM} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:5192;branch=z9hG4bK-${i}-${cseq};rport\r\n` +
      "Max-Forwards: 70\r\n" +
      `From: <sip:${user}@${REALM}>;tag=${i}SIPpTag00${i}\r\n` +
      `To: <sip:${user}@${REALM}>\r\n` +
      `Call-ID: ${callId}\r\n` +
      `CSeq: ${cseq} REGISTER\r\n` +
      `Contact: <sip:${user}@127.0.0.1:5192;transport=UDP>\r\n` +
      "Expires: 3600\r\n" +
      authorization +
      "User-Agent: SIPp/3.6 registrar-bench\r\n" +
      "Content-Length: 0\r\n\r\n",
  );
}

function authorizationFor(i: number, challenge: string): string {
  const header = /\r\nWWW-Authenticate: *([^\r]+)/i.exec(challenge)?.[1] ?? "";
  const param = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(header)?.[1] ?? "";
  const nonce = param("nonce");
  const opaque = param("opaque");
  const user = `user${i}`;
  const uri = `sip:${REALM}`;
  const ha1 = md5(`${user}:${REALM}:pw${i}`);
  const response = md5(`${ha1}:${nonce}:00000001:c0ffee:auth:${md5(`REGISTER:${uri}`)}`);
  return `Authorization: Digest username="${user}", realm="${REALM}", nonce="${nonce}", ` +
    `uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, ` +
    `cnonce="c0ffee"${opaque === "" ? "" : `, opaque="${opaque}"`}\r\n`;
}

/** One registration; resolves on its 200 (rejects on anything else). */
function registration(i: number): Promise<void> {
  const callId = `${i}-bench@127.0.0.1`;
  return new Promise<void>((done, fail) => {
    pending.set(callId, (status, text) => {
      if (status === 401 && challengeOnly) {
        pending.delete(callId);
        done();
      } else if (status === 401 && args.auth) {
        server.handleDatagram(register(i, callId, 2, authorizationFor(i, text)), remote, transport);
      } else if (status === 200) {
        pending.delete(callId);
        done();
      } else if (status !== 100) {
        fail(new Error(`user${i}: ${text.split("\r\n")[0]}`));
      }
    });
    server.handleDatagram(register(i, callId, 1, ""), remote, transport);
  });
}

/** CPU time of the calling thread, ns (Linux); NaN elsewhere. */
function threadCpuNs(): number {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}

async function round(
  first: number,
): Promise<{ cpuUs: number; threadUs: number; wallUs: number }> {
  const cpu0 = process.cpuUsage();
  const thread0 = threadCpuNs();
  const t0 = performance.now();
  for (let i = first; i < first + count; i += burst) {
    const batch = [];
    for (let j = i; j < Math.min(i + burst, first + count); j++) batch.push(registration(j));
    await Promise.all(batch);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuUs: (cpu.user + cpu.system) / count,
    threadUs: (threadCpuNs() - thread0) / 1000 / count,
    wallUs: ((performance.now() - t0) * 1000) / count,
  };
}

const mode = challengeOnly ? "auth (MD5), up to the 401" : args.auth ? "auth (MD5)" : "no auth";
console.log(`pipeline: ${mode}, ${count} registrations per round, ${burst} per turn, ${src}`);
await round(0); // warm-up: JIT, SQLite page cache
const cpu: number[] = [];
const thread: number[] = [];
for (let r = 1; r <= rounds; r++) {
  const { cpuUs, threadUs, wallUs } = await round(r * count);
  cpu.push(cpuUs);
  thread.push(threadUs);
  console.log(
    `round ${r}: cpu ${cpuUs.toFixed(1)} µs/registration (this thread ${threadUs.toFixed(1)}), ` +
      `wall ${wallUs.toFixed(1)} µs`,
  );
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  `median cpu ${median(cpu).toFixed(1)} µs/registration, ` +
    `this thread ${median(thread).toFixed(1)}`,
);
store.close();
await history?.close();
rmSync(dir, { recursive: true, force: true });

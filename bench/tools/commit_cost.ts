// commit_cost.ts: CPU per new binding of the location database's write path, by SQLite setting.
//
//   bun bench/tools/commit_cost.ts [--bindings N] [--batch N] [--commits N] [--order random|sequential]
//
// Builds a location database with the real schema (src/store migrations) holding N bindings and
// their "registered" events, then times group commits like the server's (BEGIN IMMEDIATE, one
// SAVEPOINT per REGISTER, the binding upsert and its event, COMMIT) of `batch` new bindings,
// under each variant below. `--order random` (the default) spreads the new AoRs over the whole
// table, as phones registering in any order do; `--order sequential` gives them ascending keys,
// as the sipp benchmark's injection file does (user000001, user000002, ...), so that every insert
// lands on the B-trees' rightmost pages. Prints user and system CPU per commit and per binding
// (process.cpuUsage). Variants that break durability (synchronous=OFF, no journal) are there to
// show where the cost is, not as candidates.
//
// Then what one commit writes: the WAL frames (whole pages) of 100 commits as served, counted by
// the B-tree each page belongs to (SQLite's dbstat table). And, for comparison only, what the same
// records cost appended to a plain file as JSON lines, one write and one fdatasync per commit: the
// durable floor of a log-structured store (which this project does not have).
import {
  closeSync,
  copyFileSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    bindings: { type: "string", default: "100000" },
    batch: { type: "string", default: "15" },
    commits: { type: "string", default: "1500" },
    order: { type: "string", default: "random" },
  },
});
if (args.order !== "random" && args.order !== "sequential") {
  console.error(`commit_cost: --order must be random or sequential, not "${args.order}"`);
  process.exit(2);
}
const sequential = args.order === "sequential";
const bindings = Number(args.bindings);
const batch = Number(args.batch);
const commits = Number(args.commits);

const root = resolve(import.meta.dirname ?? ".", "../..");
const { openDatabase } = await import(join(root, "src/store/open_database.ts"));

const COLUMNS = "aor, id, contact, contact_uri, q, call_id, cseq, expires_seconds, " +
  "expires_at_ms, registered_at_ms, refreshed_at_ms, source_address, source_port, transport, " +
  "user_agent, path, instance, reg_id";
const UPSERT = `INSERT INTO bindings (${COLUMNS}) VALUES (${COLUMNS.split(",").map(() => "?")})
  ON CONFLICT (aor, id) DO UPDATE SET contact = excluded.contact,
  expires_at_ms = excluded.expires_at_ms`;
const EVENT = "INSERT INTO events (at_ms, aor, kind, binding_id, contact, source, detail) " +
  "VALUES (?, ?, ?, ?, ?, ?, ?)";

const dir = mkdtempSync(join(tmpdir(), "registrar-commit-cost-"));
const template = join(dir, "template.db");
let next = 0;
/** Writes one new binding (the next AoR in `--order`) and its event. */
function register(upsert: StatementSync, event: StatementSync): void {
  const n = next++;
  const aor = sequential
    ? `sip:user${String(n).padStart(9, "0")}@127.0.0.1`
    : `sip:user${(n * 7919) % 10_000_019}@127.0.0.1`;
  const now = Date.now();
  const contact = `<sip:user${n}@127.0.0.1:5192;transport=UDP>`;
  upsert.run(
    aor,
    `b${n.toString(16)}`,
    contact,
    contact.slice(1, -1),
    null,
    `call-${n}`,
    1,
    3600,
    now + 3_600_000,
    now,
    now,
    "127.0.0.1",
    5192,
    "udp",
    "SIPp/3.6",
    null,
    null,
    null,
  );
  event.run(now, aor, "registered", `b${n.toString(16)}`, contact, "127.0.0.1:5192", null);
}

{
  const db = openDatabase(template);
  const upsert = db.prepare(UPSERT);
  const event = db.prepare(EVENT);
  db.exec("BEGIN");
  for (let i = 0; i < bindings; i++) register(upsert, event);
  db.exec("COMMIT");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}

const variants: Array<[string, string[]]> = [
  ["as served (WAL, synchronous=FULL)", []],
  ["wal_autocheckpoint=10000", ["PRAGMA wal_autocheckpoint = 10000"]],
  ["without the events (aor) index", ["DROP INDEX events_aor"]],
  ["synchronous=OFF (not durable)", ["PRAGMA synchronous = OFF"]],
  ["no journal, synchronous=OFF (not durable)", [
    "PRAGMA journal_mode = DELETE",
    "PRAGMA journal_mode = MEMORY",
    "PRAGMA synchronous = OFF",
  ]],
];
for (const [name, pragmas] of variants) {
  const path = join(dir, "run.db");
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  copyFileSync(template, path);
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  for (const pragma of pragmas) db.exec(pragma);
  const upsert = db.prepare(UPSERT);
  const event = db.prepare(EVENT);
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const savepoint = db.prepare("SAVEPOINT operation");
  const release = db.prepare("RELEASE operation");
  const groupCommit = () => {
    begin.run();
    for (let i = 0; i < batch; i++) {
      savepoint.run();
      register(upsert, event);
      release.run();
    }
    commit.run();
  };
  for (let i = 0; i < 200; i++) groupCommit(); // warm the page cache and the JIT
  const before = process.cpuUsage();
  for (let i = 0; i < commits; i++) groupCommit();
  const cpu = process.cpuUsage(before);
  db.close();
  console.log(
    `${name.padEnd(42)} user ${(cpu.user / commits).toFixed(1).padStart(6)} sys ` +
      `${(cpu.system / commits).toFixed(1).padStart(6)} µs/commit; ` +
      `${((cpu.user + cpu.system) / commits / batch).toFixed(1)} µs/binding`,
  );
}

// What the commits write: WAL frames by B-tree, with automatic checkpoints off so that the WAL
// holds exactly the frames of the commits counted.
{
  const path = join(dir, "frames.db");
  copyFileSync(template, path);
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA wal_autocheckpoint = 0");
  const upsert = db.prepare(UPSERT);
  const event = db.prepare(EVENT);
  const counted = 100;
  const run = () => {
    db.exec("BEGIN IMMEDIATE");
    for (let i = 0; i < batch; i++) register(upsert, event);
    db.exec("COMMIT");
  };
  for (let i = 0; i < 100; i++) run();
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  for (let i = 0; i < counted; i++) run();
  const owner = new Map<number, string>();
  for (const row of db.prepare("SELECT name, pageno, pagetype FROM dbstat").all()) {
    owner.set(Number(row.pageno), `${row.name} (${row.pagetype})`);
  }
  // WAL file: 32-byte header (page size at offset 8), then frames of a 24-byte header (the page
  // number first) and one page.
  const wal = readFileSync(`${path}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const byTree = new Map<string, number>();
  let frames = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    const page = wal.readUInt32BE(at);
    const tree = owner.get(page) ?? `page ${page} (not in a B-tree)`;
    byTree.set(tree, (byTree.get(tree) ?? 0) + 1);
    frames++;
  }
  db.close();
  console.log(
    `\nWAL frames (${pageSize}-byte pages) per commit of ${batch}, as served: ` +
      `${(frames / counted).toFixed(1)}`,
  );
  for (const [tree, n] of [...byTree].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(n / counted).toFixed(2).padStart(6)}  ${tree}`);
  }
}

// For comparison: the same records as JSON lines in a plain file, one write + fdatasync a commit.
{
  const fd = openSync(join(dir, "log"), "a");
  const encoder = new TextEncoder();
  const record = (): string => {
    const n = next++;
    const now = Date.now();
    return JSON.stringify({
      aor: `sip:user${String(n).padStart(9, "0")}@127.0.0.1`,
      id: `b${n.toString(16)}`,
      contact: `<sip:user${n}@127.0.0.1:5192;transport=UDP>`,
      callId: `call-${n}`,
      cseq: 1,
      expiresAtMs: now + 3_600_000,
      source: "127.0.0.1:5192",
      userAgent: "SIPp/3.6",
      event: "registered",
    }) + "\n";
  };
  const append = () => {
    let text = "";
    for (let i = 0; i < batch; i++) text += record();
    writeSync(fd, encoder.encode(text));
    fdatasyncSync(fd);
  };
  for (let i = 0; i < 200; i++) append();
  const before = process.cpuUsage();
  for (let i = 0; i < commits; i++) append();
  const cpu = process.cpuUsage(before);
  closeSync(fd);
  console.log(
    `\n${"append-only log, for comparison".padEnd(42)} user ${
      (cpu.user / commits).toFixed(1).padStart(6)
    } sys ${(cpu.system / commits).toFixed(1).padStart(6)} µs/commit; ` +
      `${((cpu.user + cpu.system) / commits / batch).toFixed(1)} µs/binding`,
  );
}

rmSync(dir, { recursive: true, force: true });
console.log(
  `(${bindings} bindings stored, ${batch} new bindings of ${args.order} AoRs per commit, ` +
    `${commits} commits)`,
);

// summarize: turns bench/results/*.tsv into Markdown tables (medians, ratios ours/Kamailio).
//
//   node bench/tools/summarize.mjs bench/results > bench/results/summary.md
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2] ?? "bench/results";

function readTsv(name) {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return null;
  const [head, ...lines] = fs.readFileSync(file, "utf8").trimEnd().split("\n");
  const keys = head.split("\t");
  return lines.filter((l) => l !== "").map((l) => {
    const cells = l.split("\t");
    return Object.fromEntries(keys.map((k, i) => [k, cells[i] ?? ""]));
  });
}

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const fmt = (x, digits = 0) => Number.isFinite(x) ? x.toFixed(digits) : "–";
const ratio = (a, b) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : "–";
const table = (head, rows) =>
  [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => " --- ").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");

const out = [];
const env = path.join(dir, "environment.txt");
if (fs.existsSync(env)) out.push("```\n" + fs.readFileSync(env, "utf8").trimEnd() + "\n```\n");

/**
 * Median over rounds of CPU per REGISTER of `sel` (one system's rows, one per round) divided by
 * `other`'s in the same round, auth mode and rate, found among `all`.
 */
const cpuRatioPerRound = (all, sel, other, key = "cpu_us_per_register") =>
  median(sel.map((mine) => {
    const theirs = all.find((x) =>
      x.auth === mine.auth && x.rate === mine.rate && x.round === mine.round && x.system === other
    );
    return Number(mine[key]) / Number(theirs?.[key]);
  }));
const systems = (rows) => [...new Set(rows.map((r) => r.system))];
/**
 * The references ours is divided by: Kamailio in memory and writing through to SQLite, and
 * kam-mem-authdb (credentials from its subscriber table) when the run measured it.
 */
const refs = (rows) => [
  "kam-mem",
  ...(systems(rows).includes("kam-mem-authdb") ? ["kam-mem-authdb"] : []),
  "kam-sql",
];
const refsHead = (rows) =>
  refs(rows).map((k, i) => i === 0 ? `ours/${k} (per-round median)` : `ours/${k}`);
const auths = (rows) => [...new Set(rows.map((r) => r.auth))];
const rounds = (rows) => [...new Set(rows.map((r) => r.round))];

const rate = readTsv("rate.tsv");
if (rate) {
  const max = rate.filter((r) => r.rate === "MAX");
  out.push("## Highest sustained REGISTER rate (calls/s; 10 s, <0.1 % failed, p99 < 50 ms)\n");
  const rows = [];
  for (const auth of auths(max)) {
    for (const round of rounds(max)) {
      const get = (s) =>
        Number(max.find((r) => r.auth === auth && r.round === round && r.system === s)?.achieved);
      rows.push([
        auth,
        round,
        ...systems(max).map((s) => fmt(get(s))),
        ...refs(max).map((k) => ratio(get("ours"), get(k))),
      ]);
    }
    const med = (s) =>
      median(max.filter((r) => r.auth === auth && r.system === s).map((r) => Number(r.achieved)));
    const perRound = (other) =>
      median(
        rounds(max).map((round) => {
          const g = (s) =>
            Number(
              max.find((r) => r.auth === auth && r.round === round && r.system === s)?.achieved,
            );
          return g("ours") / g(other);
        }),
      );
    rows.push([
      `**${auth}**`,
      "**median**",
      ...systems(max).map((s) => `**${fmt(med(s))}**`),
      ...refs(max).map((k) => `**${fmt(perRound(k), 2)}**`),
    ]);
  }
  out.push(table(["auth", "round", ...systems(max), ...refs(max).map((k) => `ours/${k}`)], rows));
  out.push(
    "\nCPU per successful REGISTER (µs, all server processes) at each system's highest passing step:\n",
  );
  // A system's steps in one round, and which of them bounded its highest sustained rate.
  const stepsOf = (auth, round, s) =>
    rate.filter((r) => r.auth === auth && r.round === round && r.system === s && r.rate !== "MAX");
  const bestRate = (auth, round, s) =>
    max.find((r) => r.auth === auth && r.round === round && r.system === s)?.achieved;
  const highestPassing = (auth, round, s) =>
    stepsOf(auth, round, s).find((r) => r.pass === "yes" && r.rate === bestRate(auth, round, s));
  const lowestFailing = (auth, round, s) => {
    const best = Number(bestRate(auth, round, s));
    return stepsOf(auth, round, s).filter((r) => r.pass === "no" && Number(r.rate) > best)
      .sort((a, b) => Number(a.rate) - Number(b.rate))[0];
  };
  const cpuRows = [];
  for (const auth of auths(max)) {
    const at = (s, round) => Number(highestPassing(auth, round, s)?.cpu_us_per_register);
    const med = (s) => median(rounds(max).map((round) => at(s, round)));
    cpuRows.push([
      auth,
      ...systems(max).map((s) => fmt(med(s), 1)),
      ...refs(max).map((k) => ratio(med("ours"), med(k))),
    ]);
  }
  out.push(table(["auth", ...systems(max), ...refs(max).map((k) => `ours/${k}`)], cpuRows));
  // Runs from before these columns existed have none: their summaries stay as they were.
  if (rate.some((r) => r.server_top_thread_cores !== undefined)) {
    out.push(
      "\nWhere the CPU went (cores; medians of rounds) at each system's highest passing step and at " +
        "the lowest failing step above it: the server's busiest thread (ours' JavaScript thread, " +
        "one of Kamailio's processes), sipp, and what no process used:\n",
    );
    const coreRows = [];
    for (const auth of auths(max)) {
      for (const s of systems(max)) {
        for (
          const [label, stepOf] of [
            ["highest passing", highestPassing],
            ["lowest failing", lowestFailing],
          ]
        ) {
          const found = rounds(max).map((round) => stepOf(auth, round, s))
            .filter((r) => r !== undefined);
          if (found.length === 0) continue;
          const med = (key) => fmt(median(found.map((r) => Number(r[key]))), 2);
          coreRows.push([
            auth,
            s,
            label,
            found.map((r) => fmt(Number(r.rate))).join(" / "),
            med("server_top_thread_cores"),
            med("sipp_cores"),
            med("idle_cores"),
          ]);
        }
      }
    }
    out.push(
      table(
        ["auth", "system", "step", "rate per round", "server's busiest thread", "sipp", "idle"],
        coreRows,
      ),
    );
  }
  out.push("");
}

const lat = readTsv("latency.tsv");
if (lat) {
  out.push("## Latency and CPU per REGISTER at fixed rates (medians of rounds)\n");
  const rows = [];
  for (const auth of auths(lat)) {
    for (const r of [...new Set(lat.filter((x) => x.auth === auth).map((x) => x.rate))]) {
      for (const s of systems(lat)) {
        const sel = lat.filter((x) => x.auth === auth && x.rate === r && x.system === s);
        if (sel.length === 0) continue;
        const m = (k) => median(sel.map((x) => Number(x[k])));
        const cpuRatio = (other) => s === "ours" ? fmt(cpuRatioPerRound(lat, sel, other), 2) : "";
        rows.push([
          auth,
          r,
          s,
          fmt(m("p50_ms")),
          fmt(m("p99_ms")),
          fmt(m("cpu_us_per_register"), 1),
          ...refs(lat).map(cpuRatio),
          fmt(m("failed")),
          sel.map((x) => x.cpu_us_per_register).join(" / "),
        ]);
      }
    }
  }
  out.push(
    table([
      "auth",
      "rate/s",
      "system",
      "p50 ms",
      "p99 ms",
      "CPU µs/REGISTER",
      ...refsHead(lat),
      "failed",
      "CPU per round",
    ], rows),
  );
  out.push("");
}

const steady = readTsv("steady.tsv");
if (steady) {
  out.push("## CPU per REGISTER of a warmed-up server (steady phase, medians of rounds)\n");
  const rows = [];
  for (const auth of auths(steady)) {
    for (const s of systems(steady)) {
      const sel = steady.filter((x) => x.auth === auth && x.system === s);
      const m = (k) => median(sel.map((x) => Number(x[k])));
      const cpuRatio = (other) => s === "ours" ? fmt(cpuRatioPerRound(steady, sel, other), 2) : "";
      rows.push([
        auth,
        sel[0]?.rate ?? "",
        s,
        fmt(m("cpu_us_per_register"), 1),
        ...refs(steady).map(cpuRatio),
        fmt(m("p99_ms")),
        fmt(m("failed")),
        sel.map((x) => x.cpu_us_per_register).join(" / "),
      ]);
    }
  }
  out.push(
    table([
      "auth",
      "rate/s",
      "system",
      "CPU µs/REGISTER",
      ...refsHead(steady),
      "p99 ms",
      "failed",
      "CPU per round",
    ], rows),
  );
  out.push("");
  // Hardware counters (perf stat), when the run had them: per REGISTER, all server processes.
  if (steady.some((x) => Number.isFinite(Number(x.kcycles_per_register)))) {
    out.push(
      "Instructions and cycles per REGISTER (thousands, perf stat over the same runs; counted " +
        "only while the server's processes run on a CPU):\n",
    );
    const counted = [];
    for (const auth of auths(steady)) {
      for (const s of systems(steady)) {
        const sel = steady.filter((x) => x.auth === auth && x.system === s);
        const m = (k) => median(sel.map((x) => Number(x[k])));
        const ratio = (key, other) =>
          s === "ours" ? fmt(cpuRatioPerRound(steady, sel, other, key), 2) : "";
        counted.push([
          auth,
          s,
          fmt(m("kinstructions_per_register"), 1),
          fmt(m("kcycles_per_register"), 1),
          ratio("kcycles_per_register", "kam-mem"),
          ratio("kinstructions_per_register", "kam-mem"),
          sel.map((x) => x.kcycles_per_register).join(" / "),
        ]);
      }
    }
    out.push(
      table([
        "auth",
        "system",
        "k instructions",
        "k cycles",
        "cycles ours/kam-mem (per-round median)",
        "instructions ours/kam-mem",
        "k cycles per round",
      ], counted),
    );
    out.push("");
  }
}

const pair = readTsv("pair.tsv");
if (pair) {
  // Two systems, loaded at once (see bench/run.sh, phase_pair): the first one against the second.
  const [one, two] = systems(pair);
  out.push(`## Side by side (pair phase: ${one} and ${two} loaded at once)\n`);
  const rows = [];
  for (const auth of auths(pair)) {
    const sel = pair.filter((x) => x.auth === auth && x.system === one);
    const other = pair.filter((x) => x.auth === auth && x.system === two);
    const cpu = (of) => median(of.map((x) => Number(x.cpu_us_per_register)));
    const perRound = sel.map((mine) =>
      Number(mine.cpu_us_per_register) /
      Number(other.find((x) => x.round === mine.round)?.cpu_us_per_register)
    );
    rows.push([
      auth,
      sel[0]?.rate ?? "",
      fmt(cpu(sel), 1),
      fmt(cpu(other), 1),
      fmt(median(perRound), 3),
      perRound.map((r) => fmt(r, 2)).join(" / "),
      fmt(median([...sel, ...other].map((x) => Number(x.failed)))),
    ]);
  }
  out.push(
    table([
      "auth",
      "rate/s (each)",
      `${one} CPU µs/REGISTER`,
      two,
      `${one}/${two} (per-round median)`,
      "per round",
      "failed",
    ], rows),
  );
  out.push("");
}

const mem = readTsv("memory.tsv");
if (mem) {
  out.push("## Memory (all server processes summed)\n");
  out.push(
    table(
      ["system", "bindings", "seconds after load", "RSS MB", "PSS MB", "processes"],
      mem.map((
        r,
      ) => [
        r.system,
        r.bindings,
        r.seconds_after,
        fmt(r.rss_kb / 1024, 1),
        fmt(r.pss_kb / 1024, 1),
        r.processes,
      ]),
    ),
  );
  out.push("");
}

const restart = readTsv("restart.tsv");
if (restart) {
  out.push("## Restart: start → first REGISTER answered\n");
  out.push(table(
    ["system", "bindings", "tries (ms)", "median ms"],
    systems(restart).map((s) => {
      const sel = restart.filter((r) => r.system === s);
      return [
        s,
        sel[0].bindings,
        sel.map((r) => r.ms_to_first_answer).join(" / "),
        fmt(median(sel.map((r) => Number(r.ms_to_first_answer)))),
      ];
    }),
  ));
  out.push("");
}

const disk = readTsv("disk.tsv");
if (disk) {
  out.push("## Disk: bytes written per 1,000 REGISTERs (/proc/PID/io write_bytes)\n");
  out.push(
    table(
      ["system", "what", "REGISTERs", "bytes written", "KB per 1,000"],
      disk.map((
        r,
      ) => [r.system, r.what, r.registers, r.bytes_written, fmt(r.bytes_per_1000 / 1024, 0)]),
    ),
  );
  out.push("");
}

const idle = readTsv("idle.tsv");
if (idle) {
  out.push("## Idle CPU with 10,000 bindings\n");
  out.push(
    table(
      ["system", "bindings", "seconds", "CPU ms", "CPU %"],
      idle.map((r) => [r.system, r.bindings, r.seconds, r.cpu_ms, r.cpu_percent]),
    ),
  );
  out.push("");
}

console.log(out.join("\n"));

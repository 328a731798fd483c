// offcpu: where one thread's time went, from `perf sched timehist -g`: on the CPU, waiting for
// it (run queue), or off it, by what it was blocked in (the kernel stack it switched out on).
//
//   perf sched record -g -o sched.data -- sleep 4        (while the load runs)
//   perf sched timehist -g -i sched.data > timehist.txt
//   node bench/tools/offcpu.mjs timehist.txt TID [GAP_MS]
//
// Answers "is the server's thread saturated, or stalled?": a stall is a long stretch off the CPU
// with work waiting (an fsync, a lock), listed when it is longer than GAP_MS [3].
import fs from "node:fs";
import { pathToFileURL } from "node:url";

/** What a switch-out stack says the thread waited for, by the first frame that tells. */
const REASONS = [
  [
    "disk",
    /blkdev_issue_flush|file_write_and_wait_range|folio_wait_writeback|__sync_dirty_buffer|jbd2|io_schedule/,
  ],
  ["datagrams (epoll)", /do_epoll_wait/],
  ["lock or other thread (futex)", /futex/],
  ["preempted", /irqentry_exit|__cond_resched|exit_to_user_mode_loop|preempt/],
];

/** time, [cpu], task[tid] or task[tid/pid], wait time, sch delay, run time, the stack. */
const ROW =
  /^\s*(\d+\.\d+)\s+\[\d+\]\s+(.*?)\[(\d+)(?:\/\d+)?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*(.*)$/;

export function reasonOf(stack) {
  for (const [name, pattern] of REASONS) if (pattern.test(stack)) return name;
  return stack === "" ? "unknown" : `other: ${stack.split(" <- ")[0]}`;
}

/**
 * @typedef {{ atMs: number, waitMs: number, delayMs: number, reason: string }} Gap
 *   atMs: when the thread ran again, from the first row.
 * @typedef {{ rows: number, spanMs: number, runMs: number, runQueueMs: number,
 *   offCpuMs: Record<string, number>, gaps: Gap[] }} Summary
 */

/**
 * Sums one thread's rows of `perf sched timehist` text. A row is a switch-out: its wait time is
 * what the thread spent off the CPU before that run, its sch delay the wake-up's wait for a
 * CPU, and its stack where it blocked at the end of that run, so a row's wait is charged to the
 * stack of the row before it. Times in ms.
 */
export function summarize(text, tid, gapMs = 3) {
  const rows = [];
  for (const line of text.split("\n")) {
    const m = line.match(ROW);
    if (m === null || m[3] !== String(tid)) continue;
    rows.push({ at: +m[1] * 1000, wait: +m[4], delay: +m[5], run: +m[6], stack: m[7].trim() });
  }
  /** @type {Summary} */
  const result = {
    rows: rows.length,
    spanMs: rows.length > 1 ? rows[rows.length - 1].at - rows[0].at : 0,
    runMs: 0,
    runQueueMs: 0,
    offCpuMs: {},
    gaps: [],
  };
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i];
    const reason = reasonOf(rows[i - 1].stack);
    result.runMs += row.run;
    result.runQueueMs += row.delay;
    result.offCpuMs[reason] = (result.offCpuMs[reason] ?? 0) + row.wait;
    if (row.wait + row.delay > gapMs) {
      const atMs = row.at - rows[0].at - row.run;
      result.gaps.push({ atMs, waitMs: row.wait, delayMs: row.delay, reason });
    }
  }
  return result;
}

export function format(s) {
  const pct = (ms) => s.spanMs > 0 ? `${(100 * ms / s.spanMs).toFixed(1)} %` : "–";
  const lines = [
    `${s.rows} switches over ${s.spanMs.toFixed(0)} ms`,
    `on the CPU   ${s.runMs.toFixed(1)} ms (${pct(s.runMs)})`,
    `run queue    ${s.runQueueMs.toFixed(1)} ms (${pct(s.runQueueMs)})`,
  ];
  const off = Object.entries(s.offCpuMs).sort((a, b) => b[1] - a[1]);
  for (const [reason, ms] of off) lines.push(`off: ${reason}  ${ms.toFixed(1)} ms (${pct(ms)})`);
  lines.push(`off the CPU or queued longer than the gap: ${s.gaps.length}`);
  for (const g of s.gaps) {
    const off = `${g.waitMs.toFixed(2)} ms off (${g.reason})`;
    lines.push(`  at ${g.atMs.toFixed(1)} ms: ${off} + ${g.delayMs.toFixed(2)} ms queued`);
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [file, tid, gap] = process.argv.slice(2);
  if (file === undefined || tid === undefined) {
    console.error("usage: node bench/tools/offcpu.mjs TIMEHIST_FILE TID [GAP_MS]");
    process.exit(2);
  }
  console.log(format(summarize(fs.readFileSync(file, "utf8"), tid, gap === undefined ? 3 : +gap)));
}

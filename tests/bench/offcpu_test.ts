import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { format, reasonOf, summarize } from "../../bench/tools/offcpu.mjs";

// Rows as `perf sched timehist -g` prints them (perf 6.1): time, cpu, task[tid/pid], wait time,
// sch delay, run time (ms), then the switch-out stack.
const TIMEHIST = `
           time    cpu  task name                       wait time  sch delay   run time
                        [tid/pid]                          (msec)     (msec)     (msec)
--------------- ------  ------------------------------  ---------  ---------  ---------
    8115.850000 [0001]  registrar-linux[14523]              0.000      0.000      1.000    schedule_hrtimeout_range_clock <- do_epoll_wait <- do_epoll_pwait.part.0
    8115.852000 [0001]  registrar-linux[14523]              0.500      0.100      1.400    io_schedule <- folio_wait_bit <- folio_wait_writeback <- __filemap_fdatawait_range
    8115.862000 [0000]  HistoryWorker[14530/14523]          0.000      0.000      0.200    futex_do_wait <- __futex_wait <- futex_wait
    8115.866000 [0001]  registrar-linux[14523]              4.000      0.200      0.800    __cond_resched <- __sys_sendmmsg <- __x64_sys_sendmmsg
    8115.867500 [0001]  registrar-linux[14523]              0.000      0.300      1.200
`;

describe("offcpu", () => {
  it("charges each wait to the stack the thread switched out on before it", () => {
    const s = summarize(TIMEHIST, "14523");
    assert.equal(s.rows, 4);
    assert.equal(Math.round(s.spanMs * 10) / 10, 17.5);
    // The first row only opens the window: its run and wait are not counted.
    assert.equal(Math.round(s.runMs * 10) / 10, 3.4);
    assert.equal(Math.round(s.runQueueMs * 10) / 10, 0.6);
    const off = Object.entries(s.offCpuMs);
    assert.deepEqual(
      Object.fromEntries(off.map(([k, v]) => [k, Math.round(v * 10) / 10])),
      { "datagrams (epoll)": 0.5, disk: 4, preempted: 0 },
    );
    assert.equal(s.gaps.length, 1);
    const [gap] = s.gaps;
    assert.equal(gap?.reason, "disk");
    assert.equal(Math.round((gap?.waitMs ?? 0) * 10) / 10, 4);
  });

  it("reads only the thread asked for, and names unknown stacks by their first frame", () => {
    const s = summarize(TIMEHIST, 14530);
    assert.equal(s.rows, 1);
    assert.equal(reasonOf("futex_do_wait <- __futex_wait"), "lock or other thread (futex)");
    assert.equal(reasonOf("do_nanosleep <- hrtimer_nanosleep"), "other: do_nanosleep");
    assert.equal(reasonOf(""), "unknown");
  });

  it("formats shares of the span", () => {
    const text = format(summarize(TIMEHIST, "14523"));
    assert.match(text, /^4 switches over 18 ms/);
    assert.match(text, /on the CPU {3}3\.4 ms \(19\.4 %\)/);
    assert.match(text, /off: disk {2}4\.0 ms \(22\.9 %\)/);
    assert.match(text, /longer than the gap: 1\n {2}at .*disk/);
  });
});

// Test support for in-process CLI tests: a fake context, seeded data directories, fixtures.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import type { CliContext } from "../../src/cli/cli_context.ts";
import { main } from "../../src/cli/main.ts";
import type { Binding, BindingEvent } from "../../src/registrar/binding.ts";
import { openBindingStore } from "../../src/store/sqlite_binding_store.ts";

/** 2023-11-14T22:13:20Z, the instant every fixture derives from. */
export const T0_MS = 1_700_000_000_000;

/** What a fake context saw, and the handles to steer it. */
export interface FakeRun {
  ctx: CliContext;
  clock: FakeClock;
  out: () => string;
  err: () => string;
  /** Resolves `waitForShutdown` as if SIGINT arrived. */
  shutdown: () => void;
  /** Prompts shown by `promptPassword`. */
  prompts: string[];
}

/** Options of `fakeContext`. */
export interface FakeOptions {
  env?: Record<string, string>;
  stdin?: string;
  stdinIsTty?: boolean;
  stdoutIsTty?: boolean;
  /** Answers to successive password prompts. */
  passwords?: string[];
  nowMs?: number;
}

/** A CliContext that records output; stdin, TTYs, passwords and time as the test says. */
export function fakeContext(options: FakeOptions = {}): FakeRun {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const passwords = [...(options.passwords ?? [])];
  const clock = new FakeClock(options.nowMs ?? T0_MS);
  let shutdown: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (shutdown = resolve));
  const ctx: CliContext = {
    env: options.env ?? {},
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    clock,
    stdoutIsTty: options.stdoutIsTty ?? false,
    stdinIsTty: options.stdinIsTty ?? false,
    readStdin: () => Promise.resolve(options.stdin ?? ""),
    promptPassword: (prompt) => {
      prompts.push(prompt);
      const answer = passwords.shift();
      return answer === undefined
        ? Promise.reject(new Error("Password entry interrupted"))
        : Promise.resolve(answer);
    },
    waitForShutdown: () => stopped,
  };
  return {
    ctx,
    clock,
    out: () => out.join(""),
    err: () => err.join(""),
    shutdown: () => shutdown("SIGINT"),
    prompts,
  };
}

/** Runs `main(argv)` in-process; returns the exit code and what was printed. */
export async function cli(
  argv: string[],
  options: FakeOptions = {},
): Promise<{ code: number; out: string; err: string; run: FakeRun }> {
  const run = fakeContext(options);
  const code = await main(argv, run.ctx);
  return { code, out: run.out(), err: run.err(), run };
}

/** A fresh temporary directory (remove it in `after`). */
export function tempDir(prefix = "registrar-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A binding of `sip:bob@office.test`; override what matters. */
export function makeBinding(overrides: Partial<Binding> = {}): Binding {
  return {
    id: "b0b001",
    aor: "sip:bob@office.test",
    contact: "<sip:bob@198.51.100.20:5060>",
    contactUri: "sip:bob@198.51.100.20:5060",
    q: null,
    callId: "call-bob@phone",
    cseq: 7,
    expiresSeconds: 3600,
    expiresAtMs: T0_MS + 1800_000,
    registeredAtMs: T0_MS - 3600_000,
    refreshedAtMs: T0_MS - 1800_000,
    sourceAddress: "198.51.100.20",
    sourcePort: 5060,
    transport: "udp",
    userAgent: "Yealink SIP-T46S 66.86.0.15",
    path: null,
    instance: null,
    regId: null,
    ...overrides,
  };
}

/** An event of bob's AoR; override what matters. */
export function makeEvent(overrides: Partial<BindingEvent> = {}): BindingEvent {
  return {
    atMs: T0_MS - 3600_000,
    aor: "sip:bob@office.test",
    kind: "registered",
    bindingId: "b0b001",
    contact: "<sip:bob@198.51.100.20:5060>",
    source: "198.51.100.20:5060",
    detail: "expires=3600",
    ...overrides,
  };
}

/** Writes bindings and events into `dir`'s database, grouped by AoR, as the server would. */
export async function seed(
  dir: string,
  bindings: Binding[],
  events: BindingEvent[] = [],
): Promise<void> {
  const store = openBindingStore(dir);
  try {
    const aors = new Set([...bindings.map((b) => b.aor), ...events.map((e) => e.aor)]);
    for (const aor of aors) {
      await store.update(aor, () => ({
        put: bindings.filter((b) => b.aor === aor),
        remove: [],
        events: events.filter((e) => e.aor === aor),
        result: null,
      }));
    }
  } finally {
    store.close();
  }
}

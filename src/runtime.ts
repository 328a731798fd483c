// The one file that touches the process: argv, env, stdio, signals, and Bun/Deno detection.
import { Buffer } from "node:buffer";
import process from "node:process";
import { systemClock } from "./clock.ts";
import type { MacFactory } from "./auth/nonce.ts";
import type { CliContext } from "./cli/cli_context.ts";
import type { NativeUdp, NativeUdpOpen } from "./transport/native_udp_transport.ts";

/** "bun", "deno" or "node": which runtime runs this code. */
export function runtimeName(): "bun" | "deno" | "node" {
  const g = globalThis as Record<string, unknown>;
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}

/** Resolves with the first of SIGINT/SIGTERM received; shutdown happens once. */
function waitForShutdown(): Promise<string> {
  return new Promise((resolve) => {
    const signals = ["SIGINT", "SIGTERM"] as const;
    const handler = (signal: string) => {
      for (const s of signals) process.off(s, handler);
      resolve(signal);
    };
    for (const s of signals) process.on(s, handler);
  });
}

/** All of standard input, decoded as UTF-8. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Prompts on stderr and reads one line from the terminal in raw mode, echoing nothing. */
function promptPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let text = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          resolve(text);
          return;
        }
        if (ch === "\u0003") {
          finish();
          reject(new Error("Password entry interrupted"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") text = [...text].slice(0, -1).join("");
        else text += ch;
      }
    };
    process.stderr.write(prompt);
    stdin.setRawMode?.(true);
    stdin.on("data", onData);
    stdin.resume();
  });
}

/** SIGHUP handler registration for `serve`'s config reload. */
function onReload(handler: () => void): () => void {
  const listener = () => handler();
  process.on("SIGHUP", listener);
  return () => void process.off("SIGHUP", listener);
}

/** Bun's synchronous full collection; Deno offers none to programs (V8 collects when idle). */
function collectGarbageOf(
  g: { Bun?: { gc?: (force: boolean) => void } },
): (() => void) | undefined {
  const bun = g.Bun;
  return bun?.gc === undefined ? undefined : () => bun.gc!(true);
}

/** Bun's native UDP socket (`Bun.udpSocket`), which `serve` prefers for IPv4; absent on Deno. */
function nativeUdpOf(g: { Bun?: { udpSocket?: NativeUdpOpen } }): NativeUdp | undefined {
  const bun = g.Bun;
  if (bun?.udpSocket === undefined) return undefined;
  return { open: (options) => bun.udpSocket!(options), setReceiveBuffer: setReceiveBufferOf() };
}

/** The part of `Bun.CryptoHasher` used here. */
interface BunHasher {
  copy(): BunHasher;
  update(data: Uint8Array | string): BunHasher;
  digest(): Uint8Array;
}
type BunHasherClass = new (algorithm: string, hmacKey: Uint8Array) => BunHasher;

/**
 * HMAC-SHA256 by `Bun.CryptoHasher`: the key is set up once and each MAC starts from a copy of
 * it, ≈ 2.3 k instructions where `createHmac` takes ≈ 5.5 k. Absent on Deno.
 */
function nativeHmacOf(g: { Bun?: { CryptoHasher?: BunHasherClass } }): MacFactory | undefined {
  const Hasher = g.Bun?.CryptoHasher;
  if (Hasher === undefined) return undefined;
  return (key) => {
    const keyed = new Hasher("sha256", key);
    return (body, text) => keyed.copy().update(body).update(text).digest();
  };
}

/** The part of bun:ffi used here. */
interface BunFfi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => number> };
  ptr(view: ArrayBufferView): unknown;
}

// Linux's values, the same on x86-64 and arm64 (asm-generic/socket.h).
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

/**
 * SO_RCVBUF through libc's setsockopt and getsockopt, by bun:ffi: Bun.udpSocket has no option for
 * it. Linux with glibc only (a Pi's Raspberry Pi OS is); elsewhere, or if libc cannot be loaded,
 * undefined, and the socket keeps the system's default. Loaded on first use (`serve` only).
 */
function setReceiveBufferOf(): ((fd: number, bytes: number) => number | null) | undefined {
  if (process.platform !== "linux") return undefined;
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  let libc: ReturnType<BunFfi["dlopen"]> | null | undefined;
  return (fd, bytes) => {
    const ffi = getBuiltin?.("bun:ffi") as BunFfi | undefined;
    if (ffi === undefined) return null;
    if (libc === undefined) {
      try {
        libc = ffi.dlopen("libc.so.6", {
          setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
          getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
        });
      } catch {
        libc = null;
      }
    }
    if (libc === null) return null;
    const value = new Int32Array([bytes]);
    if (libc.symbols.setsockopt!(fd, SOL_SOCKET, SO_RCVBUF, ffi.ptr(value), 4) !== 0) return null;
    const length = new Uint32Array([4]);
    if (
      libc.symbols.getsockopt!(fd, SOL_SOCKET, SO_RCVBUF, ffi.ptr(value), ffi.ptr(length)) !== 0
    ) {
      return null;
    }
    return value[0]!;
  };
}

/** The CLI context of the real process. */
export function processContext(): CliContext {
  return {
    env: { ...process.env },
    pid: process.pid,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    clock: systemClock,
    stdoutIsTty: Boolean(process.stdout.isTTY),
    stdinIsTty: Boolean(process.stdin.isTTY),
    readStdin,
    promptPassword,
    waitForShutdown,
    onReload,
    collectGarbage: collectGarbageOf(globalThis as { Bun?: { gc?: (force: boolean) => void } }),
    nativeUdp: nativeUdpOf(globalThis as { Bun?: { udpSocket?: NativeUdpOpen } }),
    hmacSha256: nativeHmacOf(globalThis as { Bun?: { CryptoHasher?: BunHasherClass } }),
  };
}

/** The command-line arguments after the program (and script) name. */
export function processArgs(): string[] {
  return process.argv.slice(2);
}

/** Ends the process with `code` once stdout and stderr are flushed. */
export function exit(code: number): void {
  process.exitCode = code;
  // end(), not write(""): under Bun a write's callback can run before earlier writes to a pipe
  // have drained, which cut `registrar export - | gzip` at 64 KiB with exit 0. Sockets and
  // timers are closed by then; exit explicitly so nothing lingers.
  process.stdout.end(() => process.exit(code));
}

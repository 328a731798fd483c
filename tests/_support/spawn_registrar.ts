// Runs `mod.ts` as a separate process under the current runtime (bun or deno), for e2e tests.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const MOD_TS = fileURLToPath(new URL("../../mod.ts", import.meta.url));

/** argv that runs mod.ts with `args` under whichever runtime runs the tests. */
export function registrarArgv(args: string[]): [string, string[]] {
  const isDeno = (globalThis as Record<string, unknown>).Deno !== undefined;
  return [process.execPath, isDeno ? ["run", "-A", MOD_TS, ...args] : [MOD_TS, ...args]];
}

/** Runs a CLI command to completion; resolves with its exit code and output. */
export function runRegistrar(
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, argv] = registrarArgv(args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`registrar ${args.join(" ")} did not finish; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? "");
  });
}

/** A `registrar serve` child process, resolved once it logged its ready line. */
export interface ServeProcess {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string | null>;
}

export function spawnServe(args: string[], timeoutMs = 20_000): Promise<ServeProcess> {
  const [cmd, argv] = registrarArgv(["serve", ...args]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const exited = new Promise<number | string | null>((resolve) =>
    // The exit code when the child exited by itself, else the signal that killed it.
    child.on("exit", (code, signal) => resolve(code ?? signal))
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve was not ready in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stderr!.on("data", (d) => {
      stderr += d;
      const m = / ready .*listen=udp:[^ ]*:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before ready; stderr: ${stderr}`));
    });
  });
}

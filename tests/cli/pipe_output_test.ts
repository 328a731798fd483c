// Output through a pipe arrives whole: a backup piped to a slow reader must not stop at 64 KiB.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registrarArgv, runRegistrar } from "../_support/spawn_registrar.ts";

/** Runs the CLI with stdout on a pipe nobody reads for `delayMs` (like `| (sleep 0.2; wc -c)`). */
function runWithSlowReader(
  args: string[],
  delayMs: number,
): Promise<{ code: number; out: string }> {
  const [cmd, argv] = registrarArgv(args);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
  child.stdout!.pause();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("export did not finish in 20 s"));
    }, 20_000);
    setTimeout(() => {
      child.stdout!.on("data", (d: Buffer) => chunks.push(d));
      child.stdout!.resume();
    }, delayMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

describe("registrar export - (stdout is a pipe)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "registrar-pipe-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes every byte of a large export before exiting, even to a slow reader", async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => `user${i}@office.test:pw${i}`);
    writeFileSync(join(dir, "users.txt"), lines.join("\n") + "\n");
    const imported = await runRegistrar(["user", "import", join(dir, "users.txt"), "--data", dir]);
    assert.equal(imported.code, 0, imported.stderr);
    const { code, out } = await runWithSlowReader(["export", "-", "--users", "--data", dir], 300);
    assert.equal(code, 0);
    assert.ok(out.length > 256 * 1024, `only ${out.length} bytes arrived`);
    assert.equal(JSON.parse(out).users.length, 1500);
  });
});

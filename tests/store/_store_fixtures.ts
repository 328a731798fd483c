// Test fixtures for the store: binding factory, temp directories, and how to run a child script.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Binding, BindingEvent } from "../../src/registrar/binding.ts";

/** A fixed instant all fixtures derive from (2023-11-14T22:13:20Z). */
export const T0_MS = 1_700_000_000_000;

/** A binding of `sip:alice@example.com` with every optional field null; override what matters. */
export function makeBinding(overrides: Partial<Binding> = {}): Binding {
  return {
    id: "b1",
    aor: "sip:alice@example.com",
    contact: "<sip:alice@192.0.2.10:5060>",
    contactUri: "sip:alice@192.0.2.10:5060",
    q: null,
    callId: "call-1@192.0.2.10",
    cseq: 1,
    expiresSeconds: 3600,
    expiresAtMs: T0_MS + 3600_000,
    registeredAtMs: T0_MS,
    refreshedAtMs: T0_MS,
    sourceAddress: "192.0.2.10",
    sourcePort: 5060,
    transport: "udp",
    userAgent: null,
    path: null,
    instance: null,
    regId: null,
    ...overrides,
  };
}

/** An event of `aor` with nulls where allowed; override what matters. */
export function makeEvent(overrides: Partial<BindingEvent> = {}): BindingEvent {
  return {
    atMs: T0_MS,
    aor: "sip:alice@example.com",
    kind: "registered",
    bindingId: "b1",
    contact: "<sip:alice@192.0.2.10:5060>",
    source: "192.0.2.10:5060",
    detail: null,
    ...overrides,
  };
}

/** A fresh directory under the OS temp dir; remove it with `removeTempDir`. */
export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), "registrar-store-test-"));
}

/** Removes a directory made by `makeTempDir`, ignoring one that is already gone. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether file permissions stop this process (they do not for root). Found by trying, because
 * asking for the uid needs an extra permission under Deno.
 */
export function filePermissionsEnforced(): boolean {
  const dir = makeTempDir();
  try {
    chmodSync(dir, 0o500);
    writeFileSync(join(dir, "probe"), "x");
    return false;
  } catch {
    return true;
  } finally {
    chmodSync(dir, 0o700);
    removeTempDir(dir);
  }
}

/**
 * The command line that runs `script` with the runtime running the tests: `deno run -A script`
 * under Deno, `bun script` under Bun (process.execPath is the runtime's binary in both).
 */
export function scriptCommand(script: string, args: string[]): { command: string; args: string[] } {
  const runtimeArgs = "Deno" in globalThis ? ["run", "-A", script] : [script];
  return { command: process.execPath, args: [...runtimeArgs, ...args] };
}

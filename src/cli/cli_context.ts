// CliContext: everything a subcommand may touch of the outside world, passed in (tests fake it).
import type { MacFactory } from "../auth/nonce.ts";
import type { Clock } from "../clock.ts";
import type { NativeUdp } from "../transport/native_udp_transport.ts";

/** The outside world of one CLI invocation; `src/runtime.ts` builds the real one. */
export interface CliContext {
  env: Record<string, string | undefined>;
  /** This process's id (the server reports it in its heartbeat); absent in tests. */
  pid?: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  clock: Clock;
  /** Colour only when stdout is a terminal (and NO_COLOR is unset). */
  stdoutIsTty: boolean;
  /** Interactive password prompts only when stdin is a terminal. */
  stdinIsTty: boolean;
  /** All of standard input as text (`--password-stdin`, `user import -`). */
  readStdin: () => Promise<string>;
  /** Writes `prompt` to the terminal and reads one line without echoing it. */
  promptPassword: (prompt: string) => Promise<string>;
  /** Resolves with the signal name once the process is asked to stop (`serve`, `events -f`). */
  waitForShutdown: () => Promise<string>;
  /** Calls `handler` at every SIGHUP until the returned function is called (`serve` reload). */
  onReload?: (handler: () => void) => () => void;
  /** A full garbage collection now, where the runtime offers one (Bun); `serve` after a burst. */
  collectGarbage?: () => void;
  /** The runtime's native UDP socket where it has one (Bun); `serve` binds IPv4 through it. */
  nativeUdp?: NativeUdp;
  /** The runtime's native HMAC-SHA256 where it is faster than node:crypto's (Bun); for nonces. */
  hmacSha256?: MacFactory;
}

/** A subcommand: parses its own arguments and returns the exit code. */
export type Command = (
  args: string[],
  context: CliContext,
  config?: ConfigValues,
  /** Reads the config file again (for `serve`'s SIGHUP reload). */
  reloadConfig?: () => ConfigValues,
) => Promise<number>;

/** Option values read from the config file, keyed by long option name. */
export type ConfigValues = Record<string, unknown>;

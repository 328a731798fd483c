// `registrar bans` and `registrar unban IP`: the brute-force bans, listed and lifted.
import type { Ban } from "../auth/ban_tracker.ts";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import {
  CONFIG_OPTION,
  DATA_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  withAdmin,
} from "./common_options.ts";
import { CliError, formatHelp, parseOptions, UsageError } from "./options.ts";
import type { OptionSpec } from "./options.ts";
import { formatRemaining, formatTable } from "./render.ts";

/** The options of `bans` and `unban`. */
export const BANS_OPTIONS: OptionSpec[] = [DATA_OPTION, CONFIG_OPTION, JSON_OPTION, HELP_OPTION];

export const BANS_USAGE = "registrar bans [options]";
export const UNBAN_USAGE = "registrar unban IP [options]";

function banJson(ban: Ban, nowMs: number): Record<string, unknown> {
  return {
    address: ban.address,
    username: ban.username,
    until: new Date(ban.untilMs).toISOString(),
    remainingSeconds: Math.max(0, Math.ceil((ban.untilMs - nowMs) / 1000)),
    reason: ban.reason,
  };
}

/** Runs `registrar bans`: every active ban (exit 0, also when there is none). */
export async function runBans(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values } = parseOptions(args, BANS_OPTIONS, context.env, { fileValues: config });
  if (values.help) {
    context.stdout(formatHelp(
      BANS_USAGE,
      "List active brute-force bans: a whole address, or one username from one address.",
      BANS_OPTIONS,
    ));
    return 0;
  }
  const nowMs = context.clock.nowMs();
  const bans = await withAdmin(values, (admin) => admin.bans(nowMs));
  if (values.json) {
    context.stdout(JSON.stringify(bans.map((b) => banJson(b, nowMs)), null, 2) + "\n");
    return 0;
  }
  if (bans.length === 0) {
    context.stdout("No bans.\n");
    return 0;
  }
  const rows = bans.map((b) => [
    b.address,
    b.username ?? "(all users)",
    formatRemaining(b.untilMs - nowMs),
    b.reason,
  ]);
  context.stdout(
    formatTable(["ADDRESS", "USER", "LEFT", "REASON"], rows, { shrink: { 0: 15, 1: 8, 3: 10 } }),
  );
  return 0;
}

/** Runs `registrar unban IP`: lifts every ban of the address; exit 1 when it had none. */
export async function runUnban(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values, positionals } = parseOptions(args, BANS_OPTIONS, context.env, {
    fileValues: config,
    positionals: 1,
  });
  if (values.help) {
    context.stdout(formatHelp(
      UNBAN_USAGE,
      "Lift every ban of an address; a running server stops dropping it within seconds.",
      BANS_OPTIONS,
    ));
    return 0;
  }
  const address = positionals[0];
  if (address === undefined) throw new UsageError("which address? e.g. registrar unban 192.0.2.7");
  const lifted = await withAdmin(values, (admin) => admin.unban(address));
  if (lifted === 0) throw new CliError(`no ban for "${address}"`);
  context.stdout(`Lifted ${lifted} ban${lifted === 1 ? "" : "s"} of ${address}.\n`);
  return 0;
}

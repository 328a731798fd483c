// `registrar expire [--dry-run]`: purges expired bindings now, as the server's sweeper would.
import type { Binding } from "../registrar/binding.ts";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import {
  CONFIG_OPTION,
  DATA_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  withAdmin,
} from "./common_options.ts";
import { bindingJson } from "./list.ts";
import { formatHelp, parseOptions } from "./options.ts";
import type { OptionSpec } from "./options.ts";
import { formatAgo } from "./render.ts";

/** The options of `expire`. */
export const EXPIRE_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  {
    name: "dry-run",
    short: "n",
    type: "boolean",
    help: "only show what would be purged",
    env: false,
  },
  JSON_OPTION,
  HELP_OPTION,
];

/** The usage line of `expire`. */
export const EXPIRE_USAGE = "registrar expire [--dry-run] [options]";

/** Runs `registrar expire`: exit 0 when something was (or would be) purged, 1 when nothing. */
export async function runExpire(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values } = parseOptions(args, EXPIRE_OPTIONS, context.env, { fileValues: config });
  if (values.help) {
    context.stdout(formatHelp(
      EXPIRE_USAGE,
      'Purge expired bindings now (each gets an "expired" event). Exit 1 when none are expired.',
      EXPIRE_OPTIONS,
    ));
    return 0;
  }
  const nowMs = context.clock.nowMs();
  const dryRun = values["dry-run"] === true;
  const gone: Binding[] = await withAdmin(
    values,
    (admin) =>
      dryRun
        ? admin.store.allBindings().filter((b) => b.expiresAtMs <= nowMs)
        : admin.store.purgeExpired(nowMs),
  );
  if (values.json) {
    context.stdout(JSON.stringify(gone.map((b) => bindingJson(b, nowMs)), null, 2) + "\n");
    return gone.length === 0 ? 1 : 0;
  }
  if (gone.length === 0) {
    context.stdout("No expired bindings.\n");
    return 1;
  }
  const verb = dryRun ? "Would purge" : "Purged";
  for (const b of gone) {
    context.stdout(
      `${verb} ${b.id} ${b.contactUri} from ${b.aor} (expired ${
        formatAgo(nowMs - b.expiresAtMs)
      })\n`,
    );
  }
  return 0;
}

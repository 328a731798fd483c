// `registrar export [FILE]`: the whole location table (and users with --users) as versioned JSON.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import { CONFIG_OPTION, DATA_OPTION, HELP_OPTION, withAdmin } from "./common_options.ts";
import { buildExport } from "./export_format.ts";
import { CliError, formatHelp, parseOptions } from "./options.ts";
import type { OptionSpec } from "./options.ts";

/** The options of `export`. */
export const EXPORT_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  {
    name: "users",
    type: "boolean",
    help: "include users (their HA1 values, never passwords)",
    env: false,
  },
  HELP_OPTION,
];

/** The usage line of `export`. */
export const EXPORT_USAGE = "registrar export [FILE|-] [--users] [options]";

/** Runs `registrar export`: to FILE (written whole, then renamed into place) or stdout. */
export async function runExport(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values, positionals } = parseOptions(args, EXPORT_OPTIONS, context.env, {
    positionals: 1,
    fileValues: config,
  });
  if (values.help) {
    context.stdout(formatHelp(
      EXPORT_USAGE,
      'Write every binding (and, with --users, every user) as JSON {"format": ' +
        '"registrar-export", "version": 1, ...} to FILE or standard output.',
      EXPORT_OPTIONS,
    ));
    return 0;
  }
  const nowMs = context.clock.nowMs();
  const doc = await withAdmin(
    values,
    (admin) =>
      buildExport(admin.store.allBindings(), values.users ? admin.users.list() : null, nowMs),
  );
  const text = JSON.stringify(doc, null, 2) + "\n";
  const file = positionals[0];
  if (file === undefined || file === "-") {
    context.stdout(text);
    return 0;
  }
  const temporary = `${file}.partial`;
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CliError(`Cannot write "${file}": ${(error as Error).message}`);
  }
  const bindings = (doc.bindings as unknown[]).length;
  const users = (doc.users as unknown[] | undefined)?.length;
  context.stdout(
    `Exported ${bindings} binding${bindings === 1 ? "" : "s"}` +
      (users === undefined ? "" : ` and ${users} user${users === 1 ? "" : "s"}`) +
      ` to ${file}\n`,
  );
  return 0;
}

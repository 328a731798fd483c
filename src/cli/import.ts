// `registrar import FILE`: loads an export, checked record by record, in one transaction.
import { readFileSync } from "node:fs";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import { CONFIG_OPTION, DATA_OPTION, HELP_OPTION, withAdmin } from "./common_options.ts";
import { ExportFormatError, parseExport } from "./export_format.ts";
import type { ExportData } from "./export_format.ts";
import { CliError, formatHelp, parseOptions, UsageError } from "./options.ts";
import type { OptionSpec } from "./options.ts";

/** The options of `import`. */
export const IMPORT_OPTIONS: OptionSpec[] = [DATA_OPTION, CONFIG_OPTION, HELP_OPTION];

/** The usage line of `import`. */
export const IMPORT_USAGE = "registrar import FILE|- [options]";

/** Runs `registrar import`: all records or none; bindings replace those with the same aor and id. */
export async function runImport(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values, positionals } = parseOptions(args, IMPORT_OPTIONS, context.env, {
    positionals: 1,
    fileValues: config,
  });
  if (values.help) {
    context.stdout(formatHelp(
      IMPORT_USAGE,
      "Load a file written by `registrar export`. Every record is checked first; on any " +
        "problem nothing is written. Bindings replace those with the same AoR and id; users " +
        "(when the file has them) those with the same name and domain.",
      IMPORT_OPTIONS,
    ));
    return 0;
  }
  const file = positionals[0];
  if (file === undefined) throw new UsageError("Missing the FILE to import");
  let text: string;
  if (file === "-") text = await context.readStdin();
  else {
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new CliError(
        `Cannot read "${file}": ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
      );
    }
  }
  let data: ExportData;
  try {
    data = parseExport(text);
  } catch (error) {
    if (!(error instanceof ExportFormatError)) throw error;
    const shown = error.problems.slice(0, 20);
    for (const problem of shown) context.stderr(`registrar import: ${problem}\n`);
    if (error.problems.length > shown.length) {
      context.stderr(`registrar import: … and ${error.problems.length - shown.length} more\n`);
    }
    throw new CliError(`"${file}" is not a valid registrar export; nothing imported`);
  }
  const result = await withAdmin(
    values,
    (admin) => admin.importData(data.bindings, data.users ?? [], context.clock.nowMs()),
  );
  const users = data.users === null
    ? ""
    : ` and ${data.users.length} user${data.users.length === 1 ? "" : "s"} ` +
      `(${result.users.added} added, ${result.users.updated} updated)`;
  context.stdout(
    `Imported ${result.bindings} binding${result.bindings === 1 ? "" : "s"}${users} from ${file}\n`,
  );
  return 0;
}

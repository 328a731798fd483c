// The optional config file: a JSON object of long option names, below flags and REGISTRAR_* vars.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigValues } from "./cli_context.ts";
import { UsageError } from "./options.ts";

/** The config file looked for in the data directory when no `--config` is given. */
export const CONFIG_FILE_NAME = "registrar.json";

/** Where the config file of one invocation is, and whether it was named explicitly. */
export interface ConfigLocation {
  path: string;
  /** Named by `--config` or REGISTRAR_CONFIG: it must exist. */
  explicit: boolean;
}

/**
 * Finds the config file before the command parses its options: `--config FILE`, else
 * REGISTRAR_CONFIG, else `<data>/registrar.json` where data is `--data`, REGISTRAR_DATA or "data".
 * Returns null for a `:memory:` database without an explicit file.
 */
export function locateConfigFile(
  args: readonly string[],
  env: Record<string, string | undefined>,
): ConfigLocation | null {
  const config = flagValue(args, "config") ?? nonEmpty(env.REGISTRAR_CONFIG);
  if (config !== undefined) return { path: config, explicit: true };
  const data = flagValue(args, "data") ?? nonEmpty(env.REGISTRAR_DATA) ?? "data";
  if (data === ":memory:") return null;
  return { path: join(data, CONFIG_FILE_NAME), explicit: false };
}

/**
 * Reads and checks a config file: a JSON object whose keys are long option names in `knownKeys`.
 * A missing default file gives `{}`; a missing explicit file, bad JSON, a non-object or an
 * unknown key is a `UsageError` naming the file (and the key).
 *
 * @example
 * ```ts
 * // registrar.json: {"domain": ["office.test"], "min-expires": 120}
 * loadConfigFile({ path: "data/registrar.json", explicit: false }, new Set(["domain"]));
 * ```
 */
export function loadConfigFile(
  location: ConfigLocation,
  knownKeys: ReadonlySet<string>,
): ConfigValues {
  // The default file is optional: a missing one (or a missing data directory) is no error.
  if (!location.explicit && !exists(location.path)) return {};
  let text: string;
  try {
    text = readFileSync(location.path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (
      error instanceof Error ? error.message : String(error)
    );
    throw new UsageError(`Cannot read config file "${location.path}": ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Config file "${location.path}" is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(
      `Config file "${location.path}" must hold a JSON object of option names and values`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!knownKeys.has(key)) {
      throw new UsageError(`Unknown key "${key}" in config file "${location.path}"`);
    }
  }
  return value as ConfigValues;
}

/** The value of `--name VALUE` or `--name=VALUE` in args (the last one wins), before any "--". */
function flagValue(args: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg === `--${name}`) found = args[++i];
    else if (arg.startsWith(`--${name}=`)) found = arg.slice(name.length + 3);
  }
  return found;
}

/** existsSync that reads "cannot tell" (e.g. a permission the runtime withholds) as absent. */
function exists(path: string): boolean {
  try {
    return existsSync(path);
  } catch {
    return false;
  }
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : text;
}

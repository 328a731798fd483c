// Options shared by several subcommands, and opening the data directory for them.
import { openLocationAdmin } from "../store/location_admin.ts";
import type { LocationAdmin } from "../store/location_admin.ts";
import { CliError } from "./options.ts";
import type { OptionSpec, OptionValues } from "./options.ts";

/** `--data DIR`: every command takes it. */
export const DATA_OPTION: OptionSpec = {
  name: "data",
  type: "string",
  value: "DIR",
  help: 'directory of the location database (":memory:" for a throw-away one)',
  defaultText: "data",
};

/** `--config FILE`: every command takes it. */
export const CONFIG_OPTION: OptionSpec = {
  name: "config",
  type: "string",
  value: "FILE",
  help: "JSON config file keyed by long option names; flags and variables win over it",
  defaultText: "<data>/registrar.json if present",
};

/** `--domain D` for commands that accept a bare user name (`bob` rather than `bob@office`). */
export const DOMAIN_OPTION: OptionSpec = {
  name: "domain",
  type: "string",
  multiple: true,
  value: "D",
  help: "domain of a bare user name; needed when several domains are configured",
  defaultText: "the single configured domain",
};

/** `--help`. */
export const HELP_OPTION: OptionSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  help: "show this help",
  env: false,
};

/** `--json`. */
export const JSON_OPTION: OptionSpec = {
  name: "json",
  type: "boolean",
  help: "machine-readable JSON output",
  env: false,
};

/**
 * Opens the data directory named by `--data`, runs `fn`, and closes it (flushing writes) even
 * when `fn` throws. A database that cannot be opened is a one-line `CliError` (exit 1).
 */
export async function withAdmin<T>(
  values: OptionValues,
  fn: (admin: LocationAdmin) => T | Promise<T>,
): Promise<T> {
  let admin: LocationAdmin;
  try {
    admin = openLocationAdmin(String(values.data ?? "data"));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  try {
    return await fn(admin);
  } finally {
    admin.close();
  }
}

/** The configured domains (`--domain`, REGISTRAR_DOMAIN, config file), lower-cased. */
export function domainsOf(values: OptionValues): string[] {
  const raw = values.domain;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
  return list.map((d) => d.trim().toLowerCase()).filter((d) => d !== "");
}

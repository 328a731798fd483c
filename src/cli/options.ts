// Option specs: each option is declared once and yields the parser, the env variable and the help.
import { parseArgs } from "node:util";

/** One command-line option; `env` defaults to REGISTRAR_<NAME> in upper snake case. */
export interface OptionSpec {
  name: string;
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /** Placeholder in help, e.g. "DIR". */
  value?: string;
  help: string;
  /** Default shown in help. */
  defaultText?: string;
  /** false: no environment variable for this option. */
  env?: string | false;
}

/** A usage error: the CLI prints it with the command's usage line and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
  /** A more precise usage line than the command's (e.g. of `user add`), if any. */
  readonly usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message);
    this.usage = usage;
  }
}

/** A runtime failure worth one line and exit code 1 (not found, nothing to do, cannot open). */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** The environment variable of an option, or null when it has none. */
export function envName(spec: OptionSpec): string | null {
  if (spec.env === false) return null;
  return spec.env ?? `REGISTRAR_${spec.name.toUpperCase().replaceAll("-", "_")}`;
}

/** True when an option may be set in the config file: those with an environment variable. */
export function isConfigurable(spec: OptionSpec): boolean {
  return envName(spec) !== null && spec.name !== "config";
}

/**
 * Parses argv against the specs; options not given on the command line are taken from the
 * environment (REGISTRAR_*), then from `fileValues` (a config file): flags win. Options without
 * an environment variable (per-invocation filters such as `--json`) are never read from the file.
 */
export function parseOptions(
  args: string[],
  specs: OptionSpec[],
  env: Record<string, string | undefined>,
  options: { positionals?: number; fileValues?: Record<string, unknown> } = {},
): { values: OptionValues; positionals: string[] } {
  const config: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> =
    {};
  for (const s of specs) {
    config[s.name] = { type: s.type, ...(s.multiple ? { multiple: true } : {}) };
    if (s.short) config[s.name]!.short = s.short;
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(cleanParseArgsMessage(error));
  }
  const maxPositionals = options.positionals ?? 0;
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  const values: OptionValues = { ...parsed.values } as OptionValues;
  for (const s of specs) {
    if (values[s.name] !== undefined) continue;
    const name = envName(s);
    const fromEnv = name === null ? undefined : env[name];
    if (fromEnv !== undefined && fromEnv !== "") {
      if (s.type === "boolean") values[s.name] = /^(1|true|yes|on)$/i.test(fromEnv);
      else values[s.name] = s.multiple ? fromEnv.split(",").map((v) => v.trim()) : fromEnv;
      continue;
    }
    const fromFile = isConfigurable(s) ? options.fileValues?.[s.name] : undefined;
    if (fromFile !== undefined) values[s.name] = fileValue(s, fromFile);
  }
  return { values, positionals: parsed.positionals };
}

function fileValue(spec: OptionSpec, value: unknown): string | boolean | string[] {
  if (spec.type === "boolean") {
    if (typeof value !== "boolean") {
      throw new UsageError(`Config key "${spec.name}" must be true or false`);
    }
    return value;
  }
  if (spec.multiple) {
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => String(v));
  }
  if (typeof value !== "string" && typeof value !== "number") {
    throw new UsageError(`Config key "${spec.name}" must be a string or number`);
  }
  return String(value);
}

function cleanParseArgsMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // node's messages carry a hint about "--" that means little to an admin: keep the first sentence.
  return text.split(". ")[0]!.replace(/^Unknown option '(.+)'$/, 'unknown option "$1"');
}

/** An integer option within [min, max], or the default when absent. */
export function intOption(
  values: OptionValues,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const text = String(raw);
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} expects a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

/** A string option that must be one of `choices`. */
export function choiceOption<T extends string>(
  values: OptionValues,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!choices.includes(raw as T)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${String(raw)}"`);
  }
  return raw as T;
}

/** Help text for a command: usage line, summary, one line per option with its env variable. */
export function formatHelp(usage: string, summary: string, specs: OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.value ? ` ${s.value}` : ""}`;
    const env = envName(s);
    const extra = [s.defaultText ? `default ${s.defaultText}` : "", env ? `env ${env}` : ""]
      .filter((x) => x !== "").join("; ");
    return { flag, text: extra ? `${s.help} (${extra})` : s.help };
  });
  const width = Math.max(...rows.map((r) => r.flag.length), 10) + 2;
  const lines = rows.map((r) => `  ${r.flag.padEnd(width)}${r.text}`);
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${lines.join("\n")}\n`;
}

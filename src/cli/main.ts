// The CLI entry: `registrar <command> [options]`, returning an exit code (0 ok, 1 failed, 2 usage).
import { BANS_OPTIONS, BANS_USAGE, runBans, runUnban, UNBAN_USAGE } from "./bans.ts";
import { VERSION } from "../server/start_server.ts";
import type { CliContext, Command, ConfigValues } from "./cli_context.ts";
import { loadConfigFile, locateConfigFile } from "./config_file.ts";
import { EVENTS_OPTIONS, EVENTS_USAGE, runEvents } from "./events.ts";
import { EXPIRE_OPTIONS, EXPIRE_USAGE, runExpire } from "./expire.ts";
import { EXPORT_OPTIONS, EXPORT_USAGE, runExport } from "./export.ts";
import { IMPORT_OPTIONS, IMPORT_USAGE, runImport } from "./import.ts";
import { INSPECT_OPTIONS, INSPECT_USAGE, runInspect } from "./inspect.ts";
import { KICK_OPTIONS, KICK_USAGE, runKick } from "./kick.ts";
import { LIST_OPTIONS, LIST_USAGE, runList } from "./list.ts";
import { LOOKUP_OPTIONS, LOOKUP_USAGE, runLookup } from "./lookup.ts";
import { CliError, isConfigurable, UsageError } from "./options.ts";
import type { OptionSpec } from "./options.ts";
import { runServe, SERVE_OPTIONS, SERVE_USAGE } from "./serve.ts";
import { runStats, STATS_OPTIONS, STATS_USAGE } from "./stats.ts";
import { runUser, USER_OPTIONS, USER_USAGE } from "./user.ts";

/** One subcommand: how to run it, its usage line, a summary, and every option it takes. */
export interface CommandEntry {
  run: Command;
  usage: string;
  summary: string;
  options: OptionSpec[];
}

/** Every subcommand, in the order `registrar --help` lists them. */
export const COMMANDS: Record<string, CommandEntry> = {
  serve: {
    run: runServe,
    usage: SERVE_USAGE,
    summary: "run the SIP registrar",
    options: SERVE_OPTIONS,
  },
  list: {
    run: runList,
    usage: LIST_USAGE,
    summary: "list current bindings",
    options: LIST_OPTIONS,
  },
  inspect: {
    run: runInspect,
    usage: INSPECT_USAGE,
    summary: "one user's bindings in full, history, NAT diagnosis",
    options: INSPECT_OPTIONS,
  },
  lookup: {
    run: runLookup,
    usage: LOOKUP_USAGE,
    summary: "where a call to a user would go, in q order",
    options: LOOKUP_OPTIONS,
  },
  kick: {
    run: runKick,
    usage: KICK_USAGE,
    summary: "remove a user's bindings (all, or one by id or contact)",
    options: KICK_OPTIONS,
  },
  expire: {
    run: runExpire,
    usage: EXPIRE_USAGE,
    summary: "purge expired bindings now",
    options: EXPIRE_OPTIONS,
  },
  events: {
    run: runEvents,
    usage: EVENTS_USAGE,
    summary: "binding history of every AoR; --follow streams it",
    options: EVENTS_OPTIONS,
  },
  user: {
    run: runUser,
    usage: USER_USAGE,
    summary: "add, change, remove, list and import digest users",
    options: USER_OPTIONS,
  },
  export: {
    run: runExport,
    usage: EXPORT_USAGE,
    summary: "write bindings (and users) as JSON",
    options: EXPORT_OPTIONS,
  },
  import: {
    run: runImport,
    usage: IMPORT_USAGE,
    summary: "load a JSON export, all or nothing",
    options: IMPORT_OPTIONS,
  },
  bans: {
    run: runBans,
    usage: BANS_USAGE,
    summary: "list brute-force bans",
    options: BANS_OPTIONS,
  },
  unban: {
    run: runUnban,
    usage: UNBAN_USAGE,
    summary: "lift the bans of an address",
    options: BANS_OPTIONS,
  },
  stats: {
    run: runStats,
    usage: STATS_USAGE,
    summary: "counts, and the running server's status",
    options: STATS_OPTIONS,
  },
};

/** The keys a config file may hold: every option with an environment variable, of any command. */
export function configKeys(): Set<string> {
  const keys = new Set<string>();
  for (const command of Object.values(COMMANDS)) {
    for (const spec of command.options) if (isConfigurable(spec)) keys.add(spec.name);
  }
  return keys;
}

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return `Usage: registrar <command> [options]\n\nA small SIP registrar with a durable location service.\n\n` +
    `Commands:\n${rows.join("\n")}\n\n` +
    `Options come from flags, then REGISTRAR_* variables, then the config file (--config FILE,\n` +
    `else <data>/registrar.json). Exit codes: 0 ok, 1 not found or nothing to do, 2 usage error.\n` +
    `Run "registrar <command> --help" for a command's options.\n`;
}

/** Sentence case for a one-line message (node's parser messages start in lower case). */
function sentence(text: string): string {
  const line = text.split("\n")[0]!.trim();
  return line.charAt(0).toUpperCase() + line.slice(1);
}

/**
 * Runs one CLI invocation. Errors become one line on stderr: usage errors exit 2 with the
 * command's usage line, failures exit 1 (or the CliError's own code); never a stack trace.
 *
 * @example
 * ```ts
 * const code = await main(["list", "--data", "data"], processContext());
 * ```
 */
export async function main(argv: string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? context.stderr : context.stdout)(topHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    context.stdout(`registrar ${VERSION}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    context.stderr(
      `registrar: Unknown command "${name}"\nUsage: registrar <command> [options]\n`,
    );
    return 2;
  }
  // `registrar user add: …` names the subcommand too.
  const label = name === "user" && args[0] !== undefined && /^[a-z]+$/.test(args[0])
    ? `${name} ${args[0]}`
    : name;
  try {
    let config: ConfigValues = {};
    const wantsHelp = args.includes("--help") || args.includes("-h");
    const location = locateConfigFile(args, context.env);
    if (location !== null && !wantsHelp) config = loadConfigFile(location, configKeys());
    const reloadConfig = () => {
      const again = locateConfigFile(args, context.env);
      return again === null ? {} : loadConfigFile(again, configKeys());
    };
    return await command.run(args, context, config, reloadConfig);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr(
        `registrar ${label}: ${sentence(error.message)}\nUsage: ${error.usage ?? command.usage}\n`,
      );
      return 2;
    }
    if (error instanceof CliError) {
      context.stderr(`registrar ${label}: ${sentence(error.message)}\n`);
      return error.exitCode;
    }
    const text = error instanceof Error ? error.message : String(error);
    context.stderr(`registrar ${label}: Unexpected error: ${sentence(text)}\n`);
    return 1;
  }
}

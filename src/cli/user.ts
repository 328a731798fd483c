// `registrar user add|passwd|remove|list|import`: digest credentials, stored as HA1 per realm.
import { readFileSync } from "node:fs";
import { computeHa1 } from "../auth/digest.ts";
import type { UserCredentials } from "../auth/user_directory.ts";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import {
  CONFIG_OPTION,
  DATA_OPTION,
  DOMAIN_OPTION,
  domainsOf,
  HELP_OPTION,
  JSON_OPTION,
  withAdmin,
} from "./common_options.ts";
import { CliError, formatHelp, parseOptions, UsageError } from "./options.ts";
import type { OptionSpec, OptionValues } from "./options.ts";
import { formatTable, palette, useColour } from "./render.ts";

const PASSWORD_STDIN: OptionSpec = {
  name: "password-stdin",
  type: "boolean",
  help: "read the password from the first line of standard input (no prompt)",
  env: false,
};
const ADMIN: OptionSpec = {
  name: "admin",
  type: "boolean",
  help: "may register other users' AoRs (third-party registration)",
  env: false,
};

interface UserSubcommand {
  usage: string;
  summary: string;
  options: OptionSpec[];
  positionals: number;
  run: (values: OptionValues, positionals: string[], context: CliContext) => Promise<number>;
}

const BASE = [DATA_OPTION, CONFIG_OPTION, DOMAIN_OPTION];

const SUBCOMMANDS: Record<string, UserSubcommand> = {
  add: {
    usage: "registrar user add USER[@DOMAIN] [--password-stdin] [--admin] [options]",
    summary: "Add a user; the password is asked twice, or read with --password-stdin.",
    options: [...BASE, PASSWORD_STDIN, ADMIN, HELP_OPTION],
    positionals: 1,
    run: runAdd,
  },
  passwd: {
    usage: "registrar user passwd USER[@DOMAIN] [--password-stdin] [options]",
    summary: "Change a user's password.",
    options: [...BASE, PASSWORD_STDIN, HELP_OPTION],
    positionals: 1,
    run: runPasswd,
  },
  remove: {
    usage: "registrar user remove USER[@DOMAIN] [options]",
    summary: "Remove a user (its bindings stay until they expire or are kicked).",
    options: [...BASE, HELP_OPTION],
    positionals: 1,
    run: runRemove,
  },
  list: {
    usage: "registrar user list [--json] [options]",
    summary: "List users (never passwords or HA1 values).",
    options: [DATA_OPTION, CONFIG_OPTION, JSON_OPTION, HELP_OPTION],
    positionals: 0,
    run: runUserList,
  },
  import: {
    usage: "registrar user import FILE|- [options]",
    summary:
      'Add or update the users of a file of "user[@domain]:password" lines (# comments ok), ' +
      "all in one transaction after every line was checked.",
    options: [...BASE, HELP_OPTION],
    positionals: 1,
    run: runUserImport,
  },
};

/** Every option any `user` subcommand takes (for the config-file key check and the README). */
export const USER_OPTIONS: OptionSpec[] = [
  ...BASE,
  PASSWORD_STDIN,
  ADMIN,
  JSON_OPTION,
  HELP_OPTION,
];

/** The usage line of `user`. */
export const USER_USAGE = "registrar user add|passwd|remove|list|import ... [options]";

function userHelp(): string {
  const rows = Object.entries(SUBCOMMANDS).map(([name, s]) => `  ${name.padEnd(8)}${s.usage}`);
  return `Usage: ${USER_USAGE}\n\nManage digest credentials (stored as MD5 and SHA-256 HA1 ` +
    `per realm, never as passwords).\n\nSubcommands:\n${rows.join("\n")}\n\n` +
    `Run "registrar user <subcommand> --help" for its options.\n`;
}

/** Runs `registrar user …`. */
export async function runUser(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h") {
    (name === undefined ? context.stderr : context.stdout)(userHelp());
    return name === undefined ? 2 : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (sub === undefined) throw new UsageError(`Unknown subcommand "${name}"`, USER_USAGE);
  try {
    const { values, positionals } = parseOptions(rest, sub.options, context.env, {
      positionals: sub.positionals,
      fileValues: config,
    });
    if (values.help) {
      context.stdout(formatHelp(sub.usage, sub.summary, sub.options));
      return 0;
    }
    if (positionals.length < sub.positionals) {
      throw new UsageError(
        sub.positionals === 1 && name === "import" ? "Missing FILE" : "Missing USER",
      );
    }
    return await sub.run(values, positionals, context);
  } catch (error) {
    // Give usage errors the subcommand's own usage line.
    if (error instanceof UsageError && error.usage === undefined) {
      throw new UsageError(error.message, sub.usage);
    }
    throw error;
  }
}

/**
 * Splits `user[@domain]` into username and realm; without a domain, the single configured one
 * (`--domain`, REGISTRAR_DOMAIN, config file) is the realm. Throws a `UsageError` otherwise.
 */
export function userAndRealm(text: string, domains: string[]): { username: string; realm: string } {
  const at = text.lastIndexOf("@");
  const username = at === -1 ? text : text.slice(0, at);
  const realm = at === -1 ? realmOf(domains, text) : text.slice(at + 1).toLowerCase();
  if (!/^[^\s:@]+$/.test(username)) {
    throw new UsageError(`Invalid user name "${username}" (no spaces, ":" or "@")`);
  }
  if (!/^[^\s:@]+$/.test(realm)) throw new UsageError(`Invalid domain "${realm}"`);
  return { username, realm };
}

function realmOf(domains: string[], user: string): string {
  if (domains.length === 1) return domains[0]!;
  if (domains.length === 0) {
    throw new UsageError(
      `No domain for user "${user}": write ${user}@DOMAIN, or set --domain, REGISTRAR_DOMAIN ` +
        'or "domain" in the config file',
    );
  }
  throw new UsageError(
    `Several domains configured (${domains.join(", ")}): write ${user}@DOMAIN or pass one --domain`,
  );
}

/** The stored form of a password: MD5 and SHA-256 HA1 for the realm (RFC 7616 §3.4.2). */
export function credentialsFor(
  username: string,
  realm: string,
  password: string,
  admin: boolean,
): UserCredentials {
  return {
    username,
    realm,
    ha1Md5: computeHa1("MD5", username, realm, password),
    ha1Sha256: computeHa1("SHA-256", username, realm, password),
    admin,
  };
}

async function readPassword(
  values: OptionValues,
  context: CliContext,
  who: string,
): Promise<string> {
  if (values["password-stdin"]) {
    const line = (await context.readStdin()).split("\n")[0]!.replace(/\r$/, "");
    if (line === "") throw new UsageError("Empty password on standard input");
    return line;
  }
  if (!context.stdinIsTty) {
    throw new UsageError(
      "Standard input is not a terminal: pass the password with --password-stdin",
    );
  }
  const ask = async (prompt: string) => {
    try {
      return await context.promptPassword(prompt);
    } catch (error) {
      throw new CliError(`${(error as Error).message}; nothing changed`);
    }
  };
  const first = await ask(`Password for ${who}: `);
  if (first === "") throw new CliError("Empty password; nothing changed");
  const second = await ask("Retype password: ");
  if (first !== second) throw new CliError("Passwords do not match; nothing changed");
  return first;
}

async function runAdd(
  values: OptionValues,
  positionals: string[],
  context: CliContext,
): Promise<number> {
  const { username, realm } = userAndRealm(positionals[0]!, domainsOf(values));
  const who = `${username}@${realm}`;
  // Fail before asking for a password when the user exists already.
  await withAdmin(values, (admin) => {
    if (admin.users.findUser(username, realm) !== null) {
      throw new CliError(`User "${who}" exists already; use "registrar user passwd ${who}"`);
    }
  });
  const password = await readPassword(values, context, who);
  const added = await withAdmin(values, (admin) =>
    admin.users.add(
      credentialsFor(username, realm, password, values.admin === true),
      context.clock.nowMs(),
    ));
  if (!added) {
    throw new CliError(`User "${who}" exists already; use "registrar user passwd ${who}"`);
  }
  context.stdout(`Added user ${who}${values.admin ? " (admin)" : ""}\n`);
  return 0;
}

async function runPasswd(
  values: OptionValues,
  positionals: string[],
  context: CliContext,
): Promise<number> {
  const { username, realm } = userAndRealm(positionals[0]!, domainsOf(values));
  const who = `${username}@${realm}`;
  const existing = await withAdmin(values, (admin) => admin.users.findUser(username, realm));
  if (existing === null) throw new CliError(`No user "${who}"`);
  const password = await readPassword(values, context, who);
  const updated = await withAdmin(values, (admin) =>
    admin.users.update(
      credentialsFor(username, realm, password, existing.admin),
      context.clock.nowMs(),
    ));
  if (!updated) throw new CliError(`No user "${who}"`);
  context.stdout(`Changed the password of ${who}\n`);
  return 0;
}

async function runRemove(
  values: OptionValues,
  positionals: string[],
  context: CliContext,
): Promise<number> {
  const { username, realm } = userAndRealm(positionals[0]!, domainsOf(values));
  const removed = await withAdmin(values, (admin) => admin.users.remove(username, realm));
  if (!removed) throw new CliError(`No user "${username}@${realm}"`);
  context.stdout(`Removed user ${username}@${realm}\n`);
  return 0;
}

async function runUserList(
  values: OptionValues,
  _positionals: string[],
  context: CliContext,
): Promise<number> {
  const users = await withAdmin(values, (admin) => admin.users.list());
  if (values.json) {
    const rows = users.map((u) => ({ username: u.username, realm: u.realm, admin: u.admin }));
    context.stdout(JSON.stringify(rows, null, 2) + "\n");
    return 0;
  }
  if (users.length === 0) {
    context.stdout("No users.\n");
    return 0;
  }
  const p = palette(useColour(context));
  context.stdout(formatTable(
    ["USER", "DOMAIN", "ADMIN"],
    users.map((u) => [u.username, u.realm, u.admin ? "yes" : "no"]),
    { shrink: { 0: 12, 1: 12 }, style: (text, row) => (row === -1 ? p.bold(text) : text) },
  ));
  return 0;
}

/** One checked line of a `user import` file. */
export interface UserLine {
  line: number;
  username: string;
  realm: string;
  password: string;
}

/**
 * Reads `user[@domain]:password` lines (blank lines and `#` comments skipped; the password is
 * everything after the first ":"). Returns the entries, or the problems with their line numbers.
 */
export function parseUserLines(
  text: string,
  domains: string[],
): { users: UserLine[]; problems: string[] } {
  const users: UserLine[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, "");
    if (content.trim() === "" || content.trimStart().startsWith("#")) return;
    const colon = content.indexOf(":");
    if (colon === -1) {
      problems.push(`Line ${line}: expected "user:password" (no ":" found)`);
      return;
    }
    const name = content.slice(0, colon).trim();
    const password = content.slice(colon + 1);
    if (password === "") {
      problems.push(`Line ${line}: empty password for "${name}"`);
      return;
    }
    let parsed: { username: string; realm: string };
    try {
      parsed = userAndRealm(name, domains);
    } catch (error) {
      problems.push(`Line ${line}: ${(error as Error).message}`);
      return;
    }
    const key = `${parsed.username}@${parsed.realm}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push(`Line ${line}: "${key}" appears already on line ${earlier}`);
      return;
    }
    seen.set(key, line);
    users.push({ line, ...parsed, password });
  });
  return { users, problems };
}

async function runUserImport(
  values: OptionValues,
  positionals: string[],
  context: CliContext,
): Promise<number> {
  const file = positionals[0]!;
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
  const { users, problems } = parseUserLines(text, domainsOf(values));
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    for (const problem of shown) context.stderr(`registrar user import: ${problem}\n`);
    if (problems.length > shown.length) {
      context.stderr(`registrar user import: … and ${problems.length - shown.length} more\n`);
    }
    throw new CliError(
      `${problems.length} bad line${problems.length === 1 ? "" : "s"} in "${file}"; ` +
        "nothing imported",
    );
  }
  if (users.length === 0) throw new CliError(`No users in "${file}"; nothing imported`);
  const credentials = users.map((u) => credentialsFor(u.username, u.realm, u.password, false));
  const result = await withAdmin(
    values,
    (admin) => admin.users.importMany(credentials, context.clock.nowMs(), { keepAdmin: true }),
  );
  context.stdout(
    `Imported ${users.length} user${users.length === 1 ? "" : "s"} ` +
      `(${result.added} added, ${result.updated} updated)\n`,
  );
  return 0;
}

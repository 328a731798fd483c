// `registrar list`: one line per binding, read straight from the location database.
import type { Binding } from "../registrar/binding.ts";
import { shortAor, splitAor } from "./aor_target.ts";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import {
  CONFIG_OPTION,
  DATA_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  withAdmin,
} from "./common_options.ts";
import { formatHelp, parseOptions } from "./options.ts";
import type { OptionSpec } from "./options.ts";
import { formatAgo, formatRemaining, formatTable, palette, useColour } from "./render.ts";

/** The options of `list`. */
export const LIST_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  {
    name: "user",
    type: "string",
    value: "USER",
    help: "only this user's bindings (user or user@domain)",
    env: false,
  },
  { name: "domain", type: "string", value: "D", help: "only bindings in this domain", env: false },
  {
    name: "expired",
    type: "boolean",
    help: "also show expired, not yet purged bindings",
    env: false,
  },
  JSON_OPTION,
  HELP_OPTION,
];

/** The usage line of `list`. */
export const LIST_USAGE = "registrar list [options]";

/**
 * The stable JSON shape of one binding (`list --json`, `inspect --json`, `export`): every stored
 * field, instants as ISO 8601 strings, durations in seconds, plus the derived `expiresInSeconds`
 * and `expired` (ignored by `import`).
 */
export function bindingJson(b: Binding, nowMs: number): Record<string, unknown> {
  return {
    id: b.id,
    aor: b.aor,
    contact: b.contact,
    contactUri: b.contactUri,
    q: b.q,
    callId: b.callId,
    cseq: b.cseq,
    expiresSeconds: b.expiresSeconds,
    expiresInSeconds: Math.max(0, Math.ceil((b.expiresAtMs - nowMs) / 1000)),
    expiresAt: new Date(b.expiresAtMs).toISOString(),
    registeredAt: new Date(b.registeredAtMs).toISOString(),
    refreshedAt: new Date(b.refreshedAtMs).toISOString(),
    source: { address: b.sourceAddress, port: b.sourcePort, transport: b.transport },
    userAgent: b.userAgent,
    path: b.path,
    instance: b.instance,
    regId: b.regId,
    expired: b.expiresAtMs <= nowMs,
  };
}

/** "address:port", with brackets around an IPv6 address. */
export function formatSource(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The bindings `--user` (user or user@domain) and `--domain` select. */
export function matchesUser(aor: string, user: string | undefined, domain?: string): boolean {
  const parts = splitAor(aor);
  if (domain !== undefined && parts.host !== domain.toLowerCase()) return false;
  if (user === undefined) return true;
  const at = user.lastIndexOf("@");
  if (at === -1) return parts.user === user.replace(/^sips?:/, "");
  return parts.user === user.slice(0, at).replace(/^sips?:/, "") &&
    parts.host === user.slice(at + 1).toLowerCase();
}

/**
 * The bindings table, fitted to 80 columns: the User-Agent gives way first, then the contact
 * (shown whole by `inspect`), then the AoR, and the NAT-seen source last. When every binding
 * is in one domain the AoR column shows just the user.
 */
export function formatBindingTable(
  bindings: readonly Binding[],
  nowMs: number,
  colour: boolean,
): string {
  const p = palette(colour);
  const oneDomain = new Set(bindings.map((b) => splitAor(b.aor).host)).size === 1;
  const rows = bindings.map((b) => [
    b.id,
    oneDomain ? splitAor(b.aor).user : shortAor(b.aor),
    b.contactUri.replace(/^sip:/, ""),
    formatSource(b.sourceAddress, b.sourcePort),
    b.transport,
    b.userAgent ?? "-",
    formatRemaining(b.expiresAtMs - nowMs),
    formatAgo(nowMs - b.refreshedAtMs),
  ]);
  return formatTable(
    ["ID", oneDomain ? "USER" : "AOR", "CONTACT", "SOURCE", "TP", "UA", "EXPIRES", "REFRESHED"],
    rows,
    {
      shrink: { 1: 10, 2: 12, 3: 12, 5: 5 },
      shrinkOrder: [[5], [2], [1], [3]],
      style: (text, row, column) => {
        if (row === -1) return p.bold(text);
        if (column === 0) return p.cyan(text);
        if (column === 6 && bindings[row]!.expiresAtMs <= nowMs) return p.red(text);
        return text;
      },
    },
  );
}

/** Runs `registrar list`. */
export async function runList(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values } = parseOptions(args, LIST_OPTIONS, context.env, { fileValues: config });
  if (values.help) {
    context.stdout(formatHelp(LIST_USAGE, "List current bindings.", LIST_OPTIONS));
    return 0;
  }
  const nowMs = context.clock.nowMs();
  const user = values.user as string | undefined;
  const domain = values.domain as string | undefined;
  const bindings = (await withAdmin(values, (admin) => admin.store.allBindings())).filter((b) =>
    (values.expired || b.expiresAtMs > nowMs) && matchesUser(b.aor, user, domain)
  );
  if (values.json) {
    context.stdout(JSON.stringify(bindings.map((b) => bindingJson(b, nowMs)), null, 2) + "\n");
    return 0;
  }
  if (bindings.length === 0) {
    context.stdout("No bindings.\n");
    return 0;
  }
  context.stdout(formatBindingTable(bindings, nowMs, useColour(context)));
  return 0;
}

// `registrar lookup USER`: the contacts a call to the user goes to, highest q first.
import type { Binding } from "../registrar/binding.ts";
import { resolveAor } from "./aor_target.ts";
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
import { bindingJson, formatSource } from "./list.ts";
import { CliError, formatHelp, parseOptions, UsageError } from "./options.ts";
import type { OptionSpec } from "./options.ts";
import { formatRemaining, formatTable, palette, useColour } from "./render.ts";

/** The options of `lookup`. */
export const LOOKUP_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  DOMAIN_OPTION,
  JSON_OPTION,
  HELP_OPTION,
];

/** The usage line of `lookup`. */
export const LOOKUP_USAGE = "registrar lookup USER|USER@DOMAIN|SIP-URI [options]";

/**
 * The current (non-expired) bindings in the order a call tries them: higher q first (absent q
 * counts as 1.0, RFC 3261 §10.2.1.2), ties broken by the most recent refresh.
 */
export function targetOrder(bindings: readonly Binding[], nowMs: number): Binding[] {
  return bindings.filter((b) => b.expiresAtMs > nowMs).sort((a, b) =>
    (b.q ?? 1) - (a.q ?? 1) || b.refreshedAtMs - a.refreshedAtMs || a.id.localeCompare(b.id)
  );
}

/** Runs `registrar lookup`: exit 1 when the user has no current contact. */
export async function runLookup(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values, positionals } = parseOptions(args, LOOKUP_OPTIONS, context.env, {
    positionals: 1,
    fileValues: config,
  });
  if (values.help) {
    context.stdout(formatHelp(
      LOOKUP_USAGE,
      "Show where a call to the user would go: current contacts, highest q first " +
        "(no q counts as 1.0), ties by most recent refresh. Exit 1 when there is none.",
      LOOKUP_OPTIONS,
    ));
    return 0;
  }
  const target = positionals[0];
  if (target === undefined) throw new UsageError("Missing the user to look up");
  const nowMs = context.clock.nowMs();
  const { aor, bindings } = await withAdmin(values, (admin) => {
    const aor = resolveAor(target, admin.aors(), domainsOf(values));
    return { aor, bindings: targetOrder(admin.store.bindingsOf(aor), nowMs) };
  });
  if (bindings.length === 0) throw new CliError(`No current contact for "${aor}"`);
  if (values.json) {
    context.stdout(JSON.stringify(bindings.map((b) => bindingJson(b, nowMs)), null, 2) + "\n");
    return 0;
  }
  const p = palette(useColour(context));
  context.stdout(formatTable(
    ["Q", "CONTACT", "ID", "SOURCE", "EXPIRES"],
    bindings.map((b) => [
      (b.q ?? 1).toFixed(3).replace(/0{1,2}$/, ""),
      b.contactUri,
      b.id,
      `${formatSource(b.sourceAddress, b.sourcePort)}/${b.transport}`,
      formatRemaining(b.expiresAtMs - nowMs),
    ]),
    { shrink: { 1: 16, 3: 12 }, style: (text, row) => (row === -1 ? p.bold(text) : text) },
  ));
  return 0;
}

// `registrar kick USER [ID|CONTACT]`: removes bindings now, in one transaction, with "kicked" events.
import type { Binding, BindingEvent } from "../registrar/binding.ts";
import { parseSipUri, sipUriEquals } from "../sip/sip_uri.ts";
import { resolveAor, shortAor } from "./aor_target.ts";
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
import { bindingJson } from "./list.ts";
import { CliError, formatHelp, parseOptions, UsageError } from "./options.ts";
import type { OptionSpec } from "./options.ts";

/** The options of `kick`. */
export const KICK_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  DOMAIN_OPTION,
  JSON_OPTION,
  HELP_OPTION,
];

/** The usage line of `kick`. */
export const KICK_USAGE = "registrar kick USER [ID|CONTACT] [options]";

/** True when `selector` (a binding id, a contact URI, or a Contact as stored) names `b`. */
export function selects(b: Binding, selector: string): boolean {
  if (b.id === selector || b.contact === selector || b.contactUri === selector) return true;
  const uriText = selector.startsWith("<") ? selector.slice(1, selector.indexOf(">")) : selector;
  try {
    return sipUriEquals(parseSipUri(uriText), parseSipUri(b.contactUri));
  } catch {
    return false;
  }
}

/** Runs `registrar kick`. */
export async function runKick(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values, positionals } = parseOptions(args, KICK_OPTIONS, context.env, {
    positionals: 2,
    fileValues: config,
  });
  if (values.help) {
    context.stdout(formatHelp(
      KICK_USAGE,
      "Remove all of a user's bindings, or the one named by its id or contact URI. " +
        "A running server stops using them at once.",
      KICK_OPTIONS,
    ));
    return 0;
  }
  const [target, selector] = positionals;
  if (target === undefined) throw new UsageError("Missing the user whose bindings to remove");
  const nowMs = context.clock.nowMs();
  const { aor, removed } = await withAdmin(values, async (admin) => {
    const aor = resolveAor(target, admin.aors(), domainsOf(values));
    // Read, decide and delete inside one write transaction: a REGISTER committed meanwhile by
    // the server is either seen here or lands after the kick, never half-applied.
    const removed = await admin.store.update(aor, (current) => {
      const chosen = selector === undefined
        ? [...current]
        : current.filter((b) => selects(b, selector));
      const events = chosen.map((b): BindingEvent => ({
        atMs: nowMs,
        aor,
        kind: "kicked",
        bindingId: b.id,
        contact: b.contact,
        source: null,
        detail: "cli",
      }));
      return { put: [], remove: chosen.map((b) => b.id), events, result: chosen };
    });
    return { aor, removed };
  });
  if (removed.length === 0) {
    throw new CliError(
      selector === undefined
        ? `No bindings for "${aor}"`
        : `No binding "${selector}" for "${aor}" (see "registrar inspect ${shortAor(aor)}")`,
    );
  }
  if (values.json) {
    context.stdout(JSON.stringify(removed.map((b) => bindingJson(b, nowMs)), null, 2) + "\n");
    return 0;
  }
  for (const b of removed) {
    context.stdout(`Removed ${b.id} ${b.contactUri} from ${aor}\n`);
  }
  return 0;
}

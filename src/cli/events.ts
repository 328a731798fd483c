// `registrar events [--follow]`: the binding history of every AoR in commit order, or a live tail.
import { clearTimeout, setTimeout } from "node:timers";
import type { StoredBindingEvent } from "../registrar/binding.ts";
import type { EventQuery } from "../store/location_admin.ts";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import {
  CONFIG_OPTION,
  DATA_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  withAdmin,
} from "./common_options.ts";
import { eventJson } from "./inspect.ts";
import { formatHelp, intOption, parseOptions } from "./options.ts";
import type { OptionSpec } from "./options.ts";
import { formatInstant, palette, useColour } from "./render.ts";
import type { Palette } from "./render.ts";

/** How often `--follow` looks for new events. */
export const FOLLOW_POLL_MS = 250;

/** Events shown before streaming with `--follow` when no `--limit` is given. */
export const FOLLOW_BACKLOG = 10;

/** The options of `events`. */
export const EVENTS_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  {
    name: "follow",
    short: "f",
    type: "boolean",
    help: "keep printing new events until interrupted",
    env: false,
  },
  {
    name: "user",
    type: "string",
    value: "USER",
    help: "only this user's events (user or user@domain)",
    env: false,
  },
  {
    name: "limit",
    type: "string",
    value: "N",
    help: `only the newest N events (with --follow: ${FOLLOW_BACKLOG} by default)`,
    env: false,
  },
  { ...JSON_OPTION, help: "one JSON object per line" },
  HELP_OPTION,
];

/** The usage line of `events`. */
export const EVENTS_USAGE = "registrar events [--follow] [--json] [--user U] [--limit N] [options]";

/** One event as a log line. */
export function formatEventLine(e: StoredBindingEvent, p: Palette = palette(false)): string {
  const parts = [
    p.dim(formatInstant(e.atMs)),
    e.kind.padEnd(12),
    e.aor,
    e.bindingId ?? "-",
    e.source === null ? "-" : `from ${e.source}`,
    e.contact ?? "-",
  ];
  if (e.detail !== null) parts.push(e.detail);
  return parts.join("  ");
}

/** The filter `--user` means: one AoR for user@domain, every domain's for a bare user. */
export function userQuery(user: string | undefined): EventQuery {
  if (user === undefined) return {};
  const bare = user.replace(/^sips?:/, "");
  const at = bare.lastIndexOf("@");
  if (at === -1) return { aorPrefix: `sip:${bare}@` };
  return { aor: `sip:${bare.slice(0, at)}@${bare.slice(at + 1).toLowerCase()}` };
}

/** Runs `registrar events`. */
export async function runEvents(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values } = parseOptions(args, EVENTS_OPTIONS, context.env, { fileValues: config });
  if (values.help) {
    context.stdout(formatHelp(
      EVENTS_USAGE,
      "Show the history of every AoR (registered, refreshed, unregistered, expired, kicked, " +
        "replaced, evicted, auth-failed), oldest first in commit order.",
      EVENTS_OPTIONS,
    ));
    return 0;
  }
  const follow = values.follow === true;
  const limit = values.limit === undefined && follow
    ? FOLLOW_BACKLOG
    : values.limit === undefined
    ? undefined
    : intOption(values, "limit", 0, 1);
  const filter = userQuery(values.user as string | undefined);
  const p = palette(useColour(context));
  const print = (events: StoredBindingEvent[]) => {
    if (events.length === 0) return;
    const lines = events.map((e) =>
      values.json ? JSON.stringify(eventJson(e)) : formatEventLine(e, p)
    );
    context.stdout(lines.join("\n") + "\n");
  };
  return await withAdmin(values, async (admin) => {
    // The newest seq of all, read first: streaming starts after it even if nothing matched.
    const newest = admin.events({ newest: true, limit: 1 })[0]?.seq ?? 0;
    const backlog = admin.events({
      ...filter,
      ...(limit === undefined ? {} : { limit, newest: true }),
    });
    if (!follow) {
      if (backlog.length === 0 && !values.json) context.stdout("No events.\n");
      print(backlog);
      return 0;
    }
    print(backlog);
    let lastSeq = Math.max(newest, backlog[backlog.length - 1]?.seq ?? 0);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    void context.waitForShutdown().then(() => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
    });
    while (!stopped) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, FOLLOW_POLL_MS);
      });
      if (stopped) break;
      // Every event with a larger seq than the last one seen, matching or not, moves lastSeq on.
      const fresh = admin.events({ afterSeq: lastSeq });
      if (fresh.length === 0) continue;
      lastSeq = fresh[fresh.length - 1]!.seq;
      print(fresh.filter((e) => matches(e, filter)));
    }
    return 0;
  });
}

function matches(e: StoredBindingEvent, filter: EventQuery): boolean {
  if (filter.aor !== undefined && e.aor !== filter.aor) return false;
  if (filter.aorPrefix !== undefined && !e.aor.startsWith(filter.aorPrefix)) return false;
  return true;
}

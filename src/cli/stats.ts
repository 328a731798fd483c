// `registrar stats`: counts from the database, and the running server's heartbeat if it is fresh.
import { isServerRunning } from "../store/meta.ts";
import type { ServerStatus } from "../store/meta.ts";
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
import { formatAgo, formatDuration } from "./render.ts";

/** The options of `stats`. */
export const STATS_OPTIONS: OptionSpec[] = [DATA_OPTION, CONFIG_OPTION, JSON_OPTION, HELP_OPTION];

/** The usage line of `stats`. */
export const STATS_USAGE = "registrar stats [options]";

/** One line about the server: "running (pid …, up …, …)" or "not running". */
export function formatServerLine(status: ServerStatus | null, nowMs: number): string {
  if (status === null || !isServerRunning(status, nowMs)) {
    return status === null
      ? "server: not running"
      : `server: not running (last heartbeat ${formatAgo(nowMs - status.updatedAtMs)}, ` +
        `pid ${status.pid})`;
  }
  const c = status.counters;
  const responses = Object.entries(c.responses).sort(([a], [b]) => a.localeCompare(b))
    .map(([cls, n]) => `${cls} ${n}`).join(", ");
  return [
    `server: running (pid ${status.pid}, up ${formatDuration(nowMs - status.startedAtMs)}, ` +
    `heartbeat ${formatAgo(nowMs - status.updatedAtMs)})`,
    `  listening: ${status.listen.join(", ") || "-"}`,
    `  requests: ${c.received} received, ${c.dropped} dropped, ` +
    `${c.retransmissions} retransmissions`,
    `  responses: ${responses || "none"}`,
    `  REGISTER rate: ${status.registersPerSecond.toFixed(1)}/s`,
  ].join("\n");
}

/** Runs `registrar stats`. */
export async function runStats(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values } = parseOptions(args, STATS_OPTIONS, context.env, { fileValues: config });
  if (values.help) {
    context.stdout(formatHelp(
      STATS_USAGE,
      "Show how many AoRs, bindings, users and events are stored, and whether a server is " +
        "running on this data directory (its heartbeat is younger than 15 s).",
      STATS_OPTIONS,
    ));
    return 0;
  }
  const nowMs = context.clock.nowMs();
  const { counts, status } = await withAdmin(values, (admin) => ({
    counts: admin.counts(nowMs),
    status: admin.serverStatus(),
  }));
  const running = isServerRunning(status, nowMs);
  if (values.json) {
    context.stdout(
      JSON.stringify(
        {
          ...counts,
          server: running
            ? {
              running: true,
              uptimeSeconds: Math.floor((nowMs - status!.startedAtMs) / 1000),
              ...status,
            }
            : { running: false },
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }
  context.stdout(
    [
      `AoRs:     ${counts.aors} with a current binding`,
      `bindings: ${counts.bindings}` +
      (counts.expiredBindings > 0 ? ` (${counts.expiredBindings} expired, not yet purged)` : ""),
      `users:    ${counts.users}`,
      `events:   ${counts.events}`,
      formatServerLine(status, nowMs),
    ].join("\n") + "\n",
  );
  return 0;
}

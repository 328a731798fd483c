// `registrar serve`: runs the UDP registrar until SIGINT/SIGTERM.
import type { DigestAlgorithm } from "../auth/user_directory.ts";
import { parseCidr } from "../auth/cidr.ts";
import { createLogger, parseLogLevel } from "../log.ts";
import { checkServeConfig, DEFAULT_SERVE_CONFIG } from "../server/serve_config.ts";
import type { AuthMode, ServeConfig } from "../server/serve_config.ts";
import { startServer } from "../server/start_server.ts";
import { parseListenAddress } from "../transport/udp_transport.ts";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import { CONFIG_OPTION, DATA_OPTION, HELP_OPTION } from "./common_options.ts";
import {
  choiceOption,
  CliError,
  formatHelp,
  intOption,
  parseOptions,
  UsageError,
} from "./options.ts";
import type { OptionSpec, OptionValues } from "./options.ts";

const d = DEFAULT_SERVE_CONFIG;
/** The options of `serve`; help, env variables and config-file keys all derive from it. */
export const SERVE_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  {
    name: "listen",
    type: "string",
    multiple: true,
    value: "HOST:PORT",
    help: "UDP address to listen on, repeatable; [::]:5060 for IPv6",
    defaultText: "0.0.0.0:5060",
  },
  {
    name: "domain",
    type: "string",
    multiple: true,
    value: "D",
    help: "domain served, repeatable; REGISTERs for others get 404",
    defaultText: "any",
  },
  {
    name: "min-expires",
    type: "string",
    value: "S",
    help: "shortest interval accepted; shorter gets 423 Min-Expires",
    defaultText: String(d.minExpiresSeconds),
  },
  {
    name: "default-expires",
    type: "string",
    value: "S",
    help: "interval granted when the phone asks for none",
    defaultText: String(d.defaultExpiresSeconds),
  },
  {
    name: "max-expires",
    type: "string",
    value: "S",
    help: "longest interval granted; longer requests are capped",
    defaultText: String(d.maxExpiresSeconds),
  },
  {
    name: "max-contacts",
    type: "string",
    value: "N",
    help: "most bindings per AoR, 0 for no limit",
    defaultText: String(d.maxContacts),
  },
  {
    name: "max-contacts-policy",
    type: "string",
    value: "P",
    help: "evict-oldest (same device first, then oldest) or reject (503 + Retry-After)",
    defaultText: d.maxContactsPolicy,
  },
  {
    name: "auth",
    type: "string",
    value: "MODE",
    help: "required (digest) or off (labs and tests only)",
    defaultText: d.auth,
  },
  {
    name: "digest-algorithms",
    type: "string",
    multiple: true,
    value: "A",
    help: "digest challenges offered, in order: SHA-256 and/or MD5 (MD5 first for old phones)",
    defaultText: "SHA-256,MD5",
  },
  {
    name: "nonce-ttl",
    type: "string",
    value: "S",
    help: "seconds a nonce stays fresh; older ones get 401 stale=true",
    defaultText: String(d.nonceTtlSeconds),
  },
  {
    name: "allow",
    type: "string",
    multiple: true,
    value: "CIDR",
    help: "only these networks may talk to the registrar, repeatable (e.g. 192.168.1.0/24)",
    defaultText: "everyone",
  },
  {
    name: "ban-user-failures",
    type: "string",
    value: "N",
    help: "failures of one username from one address that ban that pair",
    defaultText: String(d.banUserFailures),
  },
  {
    name: "ban-source-usernames",
    type: "string",
    value: "N",
    help: "usernames failing from one address that ban the whole address",
    defaultText: String(d.banSourceUsernames),
  },
  {
    name: "ban-window",
    type: "string",
    value: "S",
    help: "seconds in which failures are counted",
    defaultText: String(d.banWindowSeconds),
  },
  {
    name: "ban-time",
    type: "string",
    value: "S",
    help: "seconds a ban lasts; banned requests get no answer",
    defaultText: String(d.banSeconds),
  },
  {
    name: "rate-limit",
    type: "string",
    value: "N",
    help: "requests/s one address may send without credentials (burst 2N); 0 for no limit",
    defaultText: String(d.rateLimitPerSecond),
  },
  {
    name: "max-transactions",
    type: "string",
    value: "N",
    help: "server transactions remembered for retransmissions",
    defaultText: String(d.maxTransactions),
  },
  {
    name: "max-message-bytes",
    type: "string",
    value: "N",
    help: "largest SIP message accepted",
    defaultText: String(d.maxMessageBytes),
  },
  {
    name: "warm-up",
    type: "string",
    value: "N",
    help:
      "registrations run through an in-memory copy before serving, to compile the hot path; 0 for none",
    defaultText: String(d.warmUpRegistrations),
  },
  {
    name: "log-level",
    type: "string",
    value: "L",
    help: "debug, info, warn or error",
    defaultText: d.logLevel,
  },
  HELP_OPTION,
];

/** The usage line of `serve`. */
export const SERVE_USAGE = "registrar serve [options]";

/** `--digest-algorithms`: repeatable or comma-separated, each SHA-256 or MD5, no repeats. */
function digestAlgorithmsFrom(raw: string[] | undefined): DigestAlgorithm[] {
  if (raw === undefined) return d.digestAlgorithms;
  const names = raw.flatMap((r) => r.split(",")).map((n) => n.trim().toUpperCase());
  const out: DigestAlgorithm[] = [];
  for (const name of names) {
    if (name !== "SHA-256" && name !== "MD5") {
      throw new UsageError(`--digest-algorithms takes SHA-256 and MD5, got "${name}"`);
    }
    if (!out.includes(name)) out.push(name);
  }
  if (out.length === 0) throw new UsageError("--digest-algorithms needs at least one algorithm");
  return out;
}

/** Builds the serve configuration from parsed option values. */
export function serveConfigFrom(values: OptionValues): ServeConfig {
  const listen = (values.listen as string[] | undefined)?.map((l) => {
    try {
      return parseListenAddress(l);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }) ?? d.listen;
  const domains = ((values.domain as string[] | undefined) ?? d.domains).map((x) =>
    x.toLowerCase()
  );
  const logLevel = parseLogLevel(String(values["log-level"] ?? d.logLevel));
  if (logLevel === undefined) {
    throw new UsageError(`--log-level must be debug, info, warn or error`);
  }
  const config: ServeConfig = {
    // Settings without a flag yet keep their defaults.
    ...d,
    dataDir: String(values.data ?? d.dataDir),
    listen,
    domains,
    minExpiresSeconds: intOption(values, "min-expires", d.minExpiresSeconds, 1, 2 ** 32 - 1),
    defaultExpiresSeconds: intOption(
      values,
      "default-expires",
      d.defaultExpiresSeconds,
      1,
      2 ** 32 - 1,
    ),
    maxExpiresSeconds: intOption(values, "max-expires", d.maxExpiresSeconds, 1, 2 ** 32 - 1),
    maxContacts: intOption(values, "max-contacts", d.maxContacts, 0, 10_000),
    maxContactsPolicy: choiceOption(
      values,
      "max-contacts-policy",
      ["evict-oldest", "reject"] as const,
      d.maxContactsPolicy,
    ),
    auth: choiceOption<AuthMode>(values, "auth", ["required", "off"], d.auth),
    digestAlgorithms: digestAlgorithmsFrom(values["digest-algorithms"] as string[] | undefined),
    nonceTtlSeconds: intOption(values, "nonce-ttl", d.nonceTtlSeconds, 10, 86_400),
    allow: ((values.allow as string[] | undefined) ?? d.allow).map((c) => {
      try {
        parseCidr(c);
        return c;
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }),
    banUserFailures: intOption(values, "ban-user-failures", d.banUserFailures, 1, 1_000_000),
    banSourceUsernames: intOption(
      values,
      "ban-source-usernames",
      d.banSourceUsernames,
      2,
      1_000_000,
    ),
    banWindowSeconds: intOption(values, "ban-window", d.banWindowSeconds, 1, 86_400 * 30),
    banSeconds: intOption(values, "ban-time", d.banSeconds, 1, 86_400 * 365),
    rateLimitPerSecond: intOption(values, "rate-limit", d.rateLimitPerSecond, 0, 1_000_000),
    maxTransactions: intOption(values, "max-transactions", d.maxTransactions, 1, 10_000_000),
    maxMessageBytes: intOption(values, "max-message-bytes", d.maxMessageBytes, 1024, 65_535),
    warmUpRegistrations: intOption(values, "warm-up", d.warmUpRegistrations, 0, 1_000_000),
    sweepIntervalMs: d.sweepIntervalMs,
    logLevel,
  };
  const problem = checkServeConfig(config);
  if (problem !== null) throw new UsageError(problem);
  return config;
}

/** Runs `registrar serve` until SIGINT/SIGTERM. */
export async function runServe(
  args: string[],
  context: CliContext,
  fileConfig: ConfigValues = {},
  reloadConfig?: () => ConfigValues,
): Promise<number> {
  const { values } = parseOptions(args, SERVE_OPTIONS, context.env, { fileValues: fileConfig });
  if (values.help) {
    context.stdout(formatHelp(SERVE_USAGE, "Run the SIP registrar on UDP.", SERVE_OPTIONS));
    return 0;
  }
  const config = serveConfigFrom(values);
  let logLevel = config.logLevel;
  const logger = createLogger(context.stderr, () => logLevel, () => context.clock.nowMs());
  // Listen for SIGINT/SIGTERM before "ready" is logged, so a stop right after it is clean too.
  const stopped = context.waitForShutdown();
  let running;
  try {
    running = await startServer(config, {
      clock: context.clock,
      logger,
      pid: context.pid,
      collectGarbage: context.collectGarbage,
      nativeUdp: context.nativeUdp,
      hmacSha256: context.hmacSha256,
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  // SIGHUP: read flags, REGISTRAR_* and the config file again; apply what can change live.
  const stopReloading = context.onReload?.(() => {
    try {
      const fresh = parseOptions(args, SERVE_OPTIONS, context.env, {
        fileValues: reloadConfig?.() ?? fileConfig,
      });
      const next = serveConfigFrom(fresh.values);
      const { applied, needsRestart } = running.reconfigure(next);
      logLevel = next.logLevel;
      logger.info("reloaded", {
        changed: applied.length === 0 ? "nothing" : applied.join(","),
        restartNeededFor: needsRestart.length === 0 ? undefined : needsRestart.join(","),
      });
    } catch (error) {
      logger.warn("reload failed, keeping the running configuration", {
        error: (error as Error).message,
      });
    }
  });
  const signal = await stopped;
  stopReloading?.();
  logger.info("shutting down", { signal });
  await running.close();
  return 0;
}

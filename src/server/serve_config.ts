// ServeConfig: everything `registrar serve` is told, typed, with the defaults in one place.
import type { DigestAlgorithm } from "../auth/user_directory.ts";
import type { LogLevel } from "../log.ts";
import type { MaxContactsPolicy } from "../registrar/registrar.ts";
import { DEFAULT_REGISTRAR_OPTIONS } from "../registrar/registrar.ts";
import type { Remote } from "../transport/udp_transport.ts";

export type AuthMode = "required" | "off";

export interface ServeConfig {
  /** Directory of the database, or ":memory:". */
  dataDir: string;
  listen: Remote[];
  domains: string[];
  minExpiresSeconds: number;
  defaultExpiresSeconds: number;
  maxExpiresSeconds: number;
  maxContacts: number;
  maxContactsPolicy: MaxContactsPolicy;
  auth: AuthMode;
  /** Most server transactions kept for retransmission handling. */
  maxTransactions: number;
  /** Largest datagram accepted, in bytes. */
  maxMessageBytes: number;
  /** How often expired bindings are purged, bans reloaded and the heartbeat written. */
  sweepIntervalMs: number;
  /** Digest challenges offered, in this order (RFC 8760: the preferred first). */
  digestAlgorithms: DigestAlgorithm[];
  /** How long a nonce stays fresh (older ones get 401 stale=true). */
  nonceTtlSeconds: number;
  /** `--allow` networks (CIDR text); empty admits everyone. */
  allow: string[];
  /** Failures of one username from one address that ban the pair. */
  banUserFailures: number;
  /** Distinct usernames failing from one address that ban the address. */
  banSourceUsernames: number;
  /** Window in which failures are counted. */
  banWindowSeconds: number;
  /** How long a ban lasts. */
  banSeconds: number;
  /** Requests per second one address may send without credentials (burst: twice that). */
  rateLimitPerSecond: number;
  /**
   * Registrations run through a throwaway in-memory copy of the pipeline before the sockets open,
   * so the JIT has compiled the request path when the first phones arrive (see `warmUp`); 0: none.
   */
  warmUpRegistrations: number;
  logLevel: LogLevel;
}

export const DEFAULT_SERVE_CONFIG: ServeConfig = {
  dataDir: "data",
  listen: [{ address: "0.0.0.0", port: 5060 }],
  domains: DEFAULT_REGISTRAR_OPTIONS.domains,
  minExpiresSeconds: DEFAULT_REGISTRAR_OPTIONS.minExpiresSeconds,
  defaultExpiresSeconds: DEFAULT_REGISTRAR_OPTIONS.defaultExpiresSeconds,
  maxExpiresSeconds: DEFAULT_REGISTRAR_OPTIONS.maxExpiresSeconds,
  maxContacts: DEFAULT_REGISTRAR_OPTIONS.maxContacts,
  maxContactsPolicy: DEFAULT_REGISTRAR_OPTIONS.maxContactsPolicy,
  auth: "required",
  maxTransactions: 30_000,
  maxMessageBytes: 16_384,
  sweepIntervalMs: 5_000,
  digestAlgorithms: ["SHA-256", "MD5"],
  nonceTtlSeconds: 300,
  allow: [],
  banUserFailures: 5,
  banSourceUsernames: 10,
  banWindowSeconds: 600,
  banSeconds: 3600,
  rateLimitPerSecond: 100,
  warmUpRegistrations: 0,
  logLevel: "info",
};

/** Cross-field checks; returns a one-line problem, or null when the config is usable. */
export function checkServeConfig(config: ServeConfig): string | null {
  const { minExpiresSeconds: min, defaultExpiresSeconds: def, maxExpiresSeconds: max } = config;
  if (min < 1) return "--min-expires must be at least 1";
  if (max < min) return `--max-expires (${max}) must not be below --min-expires (${min})`;
  if (def < min || def > max) {
    return `--default-expires (${def}) must lie between --min-expires (${min}) and --max-expires (${max})`;
  }
  if (config.listen.length === 0) return "at least one --listen address is needed";
  return null;
}

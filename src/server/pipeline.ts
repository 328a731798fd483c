// buildPipeline: the request path of `serve` over one database: guard, auth, registrar, answers.
import { randomBytes } from "node:crypto";
import { BanTracker, DEFAULT_BAN_POLICY } from "../auth/ban_tracker.ts";
import type { BanPolicy } from "../auth/ban_tracker.ts";
import { parseCidr } from "../auth/cidr.ts";
import { DigestAuthenticator } from "../auth/digest_authenticator.ts";
import type { AuthFailure } from "../auth/digest_authenticator.ts";
import { NonceCounts } from "../auth/nonce_counts.ts";
import { NonceService } from "../auth/nonce.ts";
import type { MacFactory } from "../auth/nonce.ts";
import { RateLimiter } from "../auth/rate_limiter.ts";
import type { RateLimit } from "../auth/rate_limiter.ts";
import { RequestGuard } from "../auth/request_guard.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { Registrar } from "../registrar/registrar.ts";
import type { RegistrarOptions } from "../registrar/registrar.ts";
import { loadBans, saveBan } from "../store/ban_store.ts";
import { readMeta, writeMeta } from "../store/meta.ts";
import type { SqliteBindingStore } from "../store/sqlite_binding_store.ts";
import { SqliteUserStore } from "../store/sqlite_user_store.ts";
import { ServerTransactions, TIMER_J_MS } from "../transaction/server_transactions.ts";
import type { ServeConfig } from "./serve_config.ts";
import { SipServer } from "./sip_server.ts";

export const VERSION = "0.1.0";

/** The meta key of the nonce secret: kept in the data directory so restarts honour old nonces. */
const NONCE_SECRET_KEY = "auth.nonce-secret";

/** The request path of a running server, and the parts `serve` reads or reconfigures. */
export interface Pipeline {
  readonly server: SipServer;
  readonly transactions: ServerTransactions;
  /** Null with `--auth off`. */
  readonly bans: BanTracker | null;
  /** Null with `--auth off`. */
  readonly users: SqliteUserStore | null;
  /**
   * Applies the settings that take effect while running (SIGHUP); throws before changing
   * anything when one is invalid.
   */
  apply(config: ServeConfig): void;
}

type Database = Parameters<typeof readMeta>[0];

/**
 * Builds the request path over `db` and `store`: `server.handleDatagram` is what a socket calls.
 * The database provides users, bans and the nonce secret (created on first use).
 */
export function buildPipeline(
  db: Database,
  store: SqliteBindingStore,
  config: ServeConfig,
  deps: { clock: Clock; logger: Logger; hmacSha256?: MacFactory },
): Pipeline {
  const { clock, logger } = deps;
  const allow = config.allow.map((c) => parseCidr(c));
  const bans = config.auth === "off" ? null : new BanTracker(banPolicyOf(config));
  bans?.load(loadBans(db, clock.nowMs()), clock.nowMs());

  let authenticator: DigestAuthenticator | null = null;
  let users: SqliteUserStore | null = null;
  if (config.auth === "required") {
    users = new SqliteUserStore(db);
    const onFailure = (f: AuthFailure) => {
      if (f.ban !== null) saveBan(db, f.ban, clock.nowMs());
      // Only known users get history: random names must not grow the events table.
      if (!f.knownUser) return;
      store.recordEvents([{
        atMs: clock.nowMs(),
        aor: `sip:${f.username}@${f.realm}`,
        kind: "auth-failed",
        bindingId: null,
        contact: null,
        source: `${f.source.address}:${f.source.port}`,
        detail: f.ban === null ? f.reason : `${f.reason}; banned: ${f.ban.reason}`,
      }]).catch((error) => logger.error("cannot record event", { error: String(error) }));
    };
    authenticator = new DigestAuthenticator({
      users,
      algorithms: config.digestAlgorithms,
      nonces: new NonceService(
        nonceSecret(db),
        config.nonceTtlSeconds * 1000,
        deps.hmacSha256,
      ),
      nonceCounts: new NonceCounts(200_000, config.nonceTtlSeconds * 1000),
      bans: bans!,
      logger,
      onFailure,
    });
  }
  // Without authentication nothing is challenged, so only the allowlist applies.
  const limiter = config.auth === "required" ? new RateLimiter(rateLimitOf(config)) : null;
  const guard = new RequestGuard({ allow, bans: bans ?? new BanTracker(), limiter });

  // The registrar reads its options object on every request; apply() updates it in place.
  const registrarOptions = registrarOptionsOf(config);
  const registrar = new Registrar(store, registrarOptions, authenticator);
  const transactions = new ServerTransactions({
    timerJMs: TIMER_J_MS,
    maxTransactions: config.maxTransactions,
  });
  const limits = { maxMessageBytes: config.maxMessageBytes }; // read per datagram
  const server = new SipServer({
    registrar,
    transactions,
    clock,
    logger,
    serverHeader: `registrar/${VERSION}`,
    limits,
    guard,
  });
  return {
    server,
    transactions,
    bans,
    users,
    apply(next) {
      guard.setAllow(next.allow.map((c) => parseCidr(c))); // throws before anything changes
      Object.assign(registrarOptions, registrarOptionsOf(next));
      limits.maxMessageBytes = next.maxMessageBytes;
      bans?.setPolicy(banPolicyOf(next));
      limiter?.setLimit(rateLimitOf(next));
      authenticator?.setAlgorithms(next.digestAlgorithms);
    },
  };
}

function nonceSecret(db: Database): Uint8Array {
  const stored = readMeta(db, NONCE_SECRET_KEY);
  if (stored !== null && /^[0-9a-f]{64}$/.test(stored)) {
    return new Uint8Array(Buffer.from(stored, "hex"));
  }
  const secret = randomBytes(32);
  writeMeta(db, NONCE_SECRET_KEY, secret.toString("hex"));
  return new Uint8Array(secret);
}

function registrarOptionsOf(config: ServeConfig): RegistrarOptions {
  return {
    domains: config.domains,
    minExpiresSeconds: config.minExpiresSeconds,
    defaultExpiresSeconds: config.defaultExpiresSeconds,
    maxExpiresSeconds: config.maxExpiresSeconds,
    maxContacts: config.maxContacts,
    maxContactsPolicy: config.maxContactsPolicy,
    retryAfterSeconds: 60,
  };
}

function banPolicyOf(config: ServeConfig): BanPolicy {
  return {
    ...DEFAULT_BAN_POLICY,
    userFailures: config.banUserFailures,
    sourceUsernames: config.banSourceUsernames,
    windowMs: config.banWindowSeconds * 1000,
    banMs: config.banSeconds * 1000,
  };
}

function rateLimitOf(config: ServeConfig): RateLimit {
  return {
    perSecond: config.rateLimitPerSecond,
    burst: config.rateLimitPerSecond * 2,
    maxTracked: 50_000,
  };
}

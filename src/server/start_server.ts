// startServer: the composition root of `serve`: store, request path, warm-up, sockets, sweeper.
import type { BanTracker } from "../auth/ban_tracker.ts";
import type { MacFactory } from "../auth/nonce.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { loadBans, purgeBans } from "../store/ban_store.ts";
import { writeServerStatus } from "../store/meta.ts";
import { DEFAULT_HISTORY_PER_AOR } from "../store/event_log.ts";
import { HistoryFile, historyPathOf, moveEventsToHistory } from "../store/history_file.ts";
import { openHistoryThread } from "../store/history_thread.ts";
import type { HistoryThread } from "../store/history_thread.ts";
import { openDataDirectory } from "../store/open_database.ts";
import { SqliteBindingStore } from "../store/sqlite_binding_store.ts";
import {
  formatAddress,
  openUdpTransport,
  UDP_RECEIVE_BUFFER_BYTES,
} from "../transport/udp_transport.ts";
import type { DatagramTransport } from "../transport/udp_transport.ts";
import type { NativeUdp } from "../transport/native_udp_transport.ts";
import { AfterBurst } from "./burst_memory.ts";
import { buildPipeline, VERSION } from "./pipeline.ts";
import type { ServeConfig } from "./serve_config.ts";
import type { SipServer } from "./sip_server.ts";
import { warmUp } from "./warm_up.ts";
import type { WarmUpReport } from "./warm_up.ts";

export { VERSION };

/** The longest a warm-up may delay serving (on a slow board it stops early). */
const WARM_UP_BUDGET_MS = 500;

/** A running registrar. */
export interface RunningServer {
  readonly server: SipServer;
  readonly store: SqliteBindingStore;
  readonly transports: DatagramTransport[];
  /** Null with `--auth off`. */
  readonly bans: BanTracker | null;
  /** One housekeeping round now: purge, reload bans, heartbeat (the sweeper runs it periodically). */
  sweep(): Promise<void>;
  /**
   * Resolves once the events of every change committed so far are in the history, which a data
   * directory's server writes from a thread of its own, within HISTORY_POST_MS and a commit.
   */
  flushHistory(): Promise<void>;
  /**
   * Applies a new configuration while running (SIGHUP): returns the settings it changed and
   * those that differ but only take effect after a restart.
   */
  reconfigure(config: ServeConfig): { applied: string[]; needsRestart: string[] };
  /** Stops taking requests, finishes in-flight ones, closes sockets and the database. */
  close(): Promise<void>;
}

/** Settings that only a restart changes: sockets, the database, and how auth is built. */
const RESTART_ONLY: ReadonlyArray<keyof ServeConfig> = [
  "dataDir",
  "listen",
  "auth",
  "maxTransactions",
  "nonceTtlSeconds",
  "sweepIntervalMs",
  "warmUpRegistrations",
];

/**
 * Opens the location database, binds every listen address and starts the housekeeping timer.
 * Resolves once the server is answering, after logging one "ready" line.
 */
export async function startServer(
  config: ServeConfig,
  deps: {
    clock: Clock;
    logger: Logger;
    pid?: number;
    /** Called once a burst of requests is over (see AfterBurst), to give its garbage back. */
    collectGarbage?: () => void;
    /** When a burst is over; default `new AfterBurst()` (tests pass a smaller one). */
    afterBurst?: AfterBurst;
    /** Bun's native UDP socket, for IPv4 listen addresses (see `openUdpTransport`). */
    nativeUdp?: NativeUdp;
    /** The runtime's fastest HMAC-SHA256, for nonces; default node:crypto's. */
    hmacSha256?: MacFactory;
  },
): Promise<RunningServer> {
  const { clock, logger } = deps;
  const startedAtMs = clock.nowMs();
  const { db, path } = openDataDirectory(config.dataDir);
  // A data directory's history is written by a thread of its own (history_thread.ts) to its own
  // file, where what an older version left in registrar.db moves first.
  let history: HistoryThread | undefined;
  if (path !== ":memory:") {
    try {
      const file = new HistoryFile(historyPathOf(config.dataDir), DEFAULT_HISTORY_PER_AOR);
      try {
        moveEventsToHistory(db, file);
      } finally {
        file.close();
      }
      history = openHistoryThread(historyPathOf(config.dataDir), {
        historyPerAor: DEFAULT_HISTORY_PER_AOR,
        onError: (error) => logger.error("binding history", { error: error.message }),
        nowMs: () => clock.nowMs(),
      });
    } catch (error) {
      db.close();
      throw error;
    }
  }
  const store = new SqliteBindingStore(db, { ownsDatabase: true, history });
  const transports: DatagramTransport[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    // Bindings that expired while the server was down are purged before anything is answered.
    const purged = await store.purgeExpired(clock.nowMs());
    const { hmacSha256 } = deps;
    const pipeline = buildPipeline(db, store, config, { clock, logger, hmacSha256 });
    const { server, transactions, bans, users } = pipeline;
    let warmed: WarmUpReport | null = null;
    if (config.warmUpRegistrations > 0) {
      try {
        warmed = await warmUp(
          config,
          config.warmUpRegistrations,
          WARM_UP_BUDGET_MS,
          clock,
          hmacSha256,
        );
        deps.collectGarbage?.(); // its garbage is all there is so far
      } catch (error) {
        // Only speed is lost without it.
        logger.warn("warm-up failed", { error: String(error) });
      }
    }
    for (const listen of config.listen) {
      transports.push(
        await openUdpTransport(
          listen,
          (data, remote, transport) => server.handleDatagram(data, remote, transport),
          (error) => logger.warn("udp error", { error: error.message }),
          deps.nativeUdp,
        ),
      );
    }
    const listenText = transports.map((t) => `udp:${formatAddress(t.local)}`);
    for (const t of transports) {
      // Linux reports twice the size it grants (socket(7)): a report below the size asked means
      // net.core.rmem_max let through at most half of it.
      if (t.receiveBufferBytes !== null && t.receiveBufferBytes < UDP_RECEIVE_BUFFER_BYTES) {
        logger.warn("udp receive buffer capped by the system: bursts may be dropped", {
          listen: formatAddress(t.local),
          asked: UDP_RECEIVE_BUFFER_BYTES,
          granted: t.receiveBufferBytes,
          hint: `sysctl -w net.core.rmem_max=${UDP_RECEIVE_BUFFER_BYTES}`,
        });
      }
    }

    let lastRegisters = 0;
    let lastAtMs = startedAtMs;
    const heartbeat = (nowMs: number) => {
      const c = server.counters;
      const perSecond = nowMs > lastAtMs
        ? (c.registers - lastRegisters) / ((nowMs - lastAtMs) / 1000)
        : 0;
      lastRegisters = c.registers;
      lastAtMs = nowMs;
      writeServerStatus(db, {
        pid: deps.pid ?? 0,
        startedAtMs,
        updatedAtMs: nowMs,
        listen: listenText,
        counters: {
          received: c.received,
          dropped: c.dropped,
          retransmissions: c.retransmissions,
          responses: { ...c.responses },
        },
        registersPerSecond: Math.round(perSecond * 10) / 10,
      });
    };
    const afterBurst = deps.afterBurst ?? new AfterBurst();
    let sweeping = false;
    const sweep = async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        const gone = await store.purgeExpired(clock.nowMs());
        for (const b of gone) logger.info("binding expired", { aor: b.aor, id: b.id });
        const nowMs = clock.nowMs();
        transactions.sweep(nowMs);
        if (afterBurst.observe(transactions.size) && deps.collectGarbage !== undefined) {
          const t0 = clock.nowMs();
          deps.collectGarbage();
          logger.debug("burst over: garbage collected", { ms: clock.nowMs() - t0 });
        }
        if (bans !== null) {
          purgeBans(db, nowMs);
          bans.load(loadBans(db, nowMs), nowMs); // picks up `registrar unban`
        }
        heartbeat(nowMs);
      } catch (error) {
        logger.error("housekeeping failed", { error: String(error) });
      } finally {
        sweeping = false;
      }
    };
    timer = setInterval(() => void sweep(), config.sweepIntervalMs);
    // The timer alone never keeps the process alive; the sockets do.
    (timer as { unref?: () => void }).unref?.();
    heartbeat(clock.nowMs());

    if (config.domains.length === 0) {
      logger.warn("no --domain configured: accepting REGISTER for any domain");
    }
    if (config.auth === "off") {
      logger.warn("authentication is off (--auth off): anyone can register any AoR");
    } else if (users !== null && users.countUsers() === 0) {
      logger.warn(
        "no users defined: nobody can register; add one with: registrar user add bob@DOMAIN",
      );
    }
    logger.info("ready", {
      listen: listenText.join(","),
      data: path,
      bindings: store.countBindings(),
      purged: purged.length,
      domains: config.domains.length === 0 ? "any" : config.domains.join(","),
      auth: config.auth,
      users: users?.countUsers(),
      allow: config.allow.length === 0 ? undefined : config.allow.join(","),
      warmUp: warmed === null
        ? undefined
        : `${warmed.registered}/${warmed.registrations} in ${warmed.ms} ms`,
      rcvbuf: transports.map((t) => t.receiveBufferBytes ?? "default").join(","),
    });

    let current = config;
    const reconfigure = (next: ServeConfig) => {
      const changed = (Object.keys(next) as Array<keyof ServeConfig>).filter((k) =>
        JSON.stringify(next[k]) !== JSON.stringify(current[k])
      );
      const needsRestart = changed.filter((k) => RESTART_ONLY.includes(k));
      const applied = changed.filter((k) => !RESTART_ONLY.includes(k));
      pipeline.apply(next); // throws before anything changes
      current = { ...next, ...Object.fromEntries(needsRestart.map((k) => [k, current[k]])) };
      return { applied, needsRestart };
    };

    let closing: Promise<void> | undefined;
    return {
      reconfigure,
      server,
      store,
      transports,
      bans,
      sweep,
      flushHistory: () => history?.flush() ?? Promise.resolve(),
      close() {
        closing ??= (async () => {
          clearInterval(timer);
          server.stopAccepting();
          await server.drain();
          await Promise.all(transports.map((t) => t.close()));
          transactions.close();
          store.close(); // owns the database: flushes queued writes, then closes
          await history?.close(); // writes the events of those last commits
          logger.info("stopped");
        })();
        return closing;
      },
    };
  } catch (error) {
    clearInterval(timer);
    await Promise.all(transports.map((t) => t.close()));
    store.close();
    await history?.close();
    throw error;
  }
}

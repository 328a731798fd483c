// SipServer: one datagram in, at most one response out — parse, transaction, dispatch, reply.
import type { RequestGuard } from "../auth/request_guard.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { SipEndpoint, SipRequest } from "../sip/message.ts";
import { parseMessage } from "../sip/parse_message.ts";
import type { ParseLimits } from "../sip/parse_message.ts";
import { formatResponse, responseTarget } from "../sip/response.ts";
import type { RecoveredRequest } from "../sip/sip_parse_error.ts";
import { SipParseError } from "../sip/sip_parse_error.ts";
import { parseViaList } from "../sip/via.ts";
import type { Via } from "../sip/via.ts";
import { OUTCOMES } from "../registrar/outcomes.ts";
import type { Registrar, RegistrarReply } from "../registrar/registrar.ts";
import { SUPPORTED_OPTION_TAGS, unsupportedRequire } from "../registrar/registrar.ts";
import type { ServerTransactions } from "../transaction/server_transactions.ts";
import { transactionKey } from "../transaction/server_transactions.ts";
import type { DatagramTransport, Remote } from "../transport/udp_transport.ts";

/** Methods this server answers; everything else gets 405 with this list (RFC 3261 §8.2.1). */
export const ALLOWED_METHODS = "REGISTER, OPTIONS";

/** What the server counts, for `registrar stats` and the benchmark. */
export interface ServerCounters {
  received: number;
  /** REGISTER requests handled (retransmissions excluded). */
  registers: number;
  dropped: number;
  retransmissions: number;
  /** Final responses sent, by status class ("2xx", "4xx", …). */
  responses: Record<string, number>;
}

/** A request's answer before it becomes bytes. */
interface Answer {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  /** Sent without transaction state (RFC 3261 §8.2.7): a challenge to a bare request. */
  stateless?: boolean;
}

export interface SipServerOptions {
  registrar: Registrar;
  transactions: ServerTransactions;
  clock: Clock;
  logger: Logger;
  /** Value of the Server header, e.g. "registrar/0.1.0". */
  serverHeader: string;
  limits?: Partial<ParseLimits>;
  /** Allowlist, bans and rate limit; absent in labs and tests (`--auth off` keeps the allowlist). */
  guard?: RequestGuard;
}

/**
 * The request pipeline of `serve`. `handleDatagram` never throws: a parse failure becomes a 400
 * when the response can be addressed (or a logged drop), a bug becomes a logged 500.
 */
export class SipServer {
  readonly #o: SipServerOptions;
  readonly counters: ServerCounters = {
    received: 0,
    registers: 0,
    dropped: 0,
    retransmissions: 0,
    responses: {},
  };
  #inFlight = 0;
  #idle: Array<() => void> = [];
  #accepting = true;

  constructor(options: SipServerOptions) {
    this.#o = options;
  }

  /** Requests being processed right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Stops taking new requests (they are dropped, so clients retransmit to the next server). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Resolves once no request is in flight. */
  drain(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  handleDatagram(data: Uint8Array, remote: Remote, transport: DatagramTransport): void {
    this.counters.received++;
    if (!this.#accepting || (this.#o.guard && !this.#o.guard.admitsAddress(remote.address))) {
      this.counters.dropped++;
      return;
    }
    let message;
    try {
      message = parseMessage(data, this.#o.limits);
    } catch (error) {
      this.#rejectUnparsable(error, remote, transport);
      return;
    }
    if (message.type === "response") {
      this.counters.dropped++; // we send no requests, so no response is ours
      return;
    }
    if (this.#o.guard?.admitsRequest(message, remote.address, this.#o.clock.nowMs())) {
      this.counters.dropped++; // banned or rate-limited: no answer at all
      return;
    }
    let work: Promise<void> | undefined;
    try {
      work = this.#handleRequest(message, remote, transport);
    } catch (error) {
      this.#o.logger.error("request handler failed", { error: String(error) });
      return;
    }
    if (work !== undefined) this.#track(work);
  }

  #track(work: Promise<void>): void {
    this.#inFlight++;
    work.then(this.#done, this.#doneWithError); // one reaction, no closure per request
  }

  readonly #done = (): void => {
    this.#inFlight--;
    if (this.#inFlight === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
  };

  readonly #doneWithError = (error: unknown): void => {
    try {
      this.#o.logger.error("request handler failed", { error: String(error) });
    } catch {
      // No log to write to (stderr closed?): the request is over all the same, and a rejection
      // nobody handles would stop the process.
    }
    this.#done();
  };

  /** RFC 3261 §8.2.6, §18.2.1 + sipgo's rule: too broken to process, yet answerable → 400. */
  #rejectUnparsable(error: unknown, remote: Remote, transport: DatagramTransport): void {
    this.counters.dropped++;
    if (!(error instanceof SipParseError)) {
      this.#o.logger.error("parser bug", { error: String(error), source: remote.address });
      return;
    }
    if (error.status === 0) return; // keep-alive (CRLF) or empty datagram
    const recovered = error.recovered;
    const answerable = recovered !== undefined &&
      ["Via", "From", "To", "Call-ID", "CSeq"].every((h) => recovered.headers.has(h)) &&
      recovered.method !== "ACK";
    this.#o.logger.debug("unparsable message", {
      source: `${remote.address}:${remote.port}`,
      reason: error.reasonPhrase,
      answered: answerable,
    });
    if (!answerable) return;
    let topVia: Via | null = null;
    try {
      topVia = parseViaList(recovered.headers)[0] ?? null;
    } catch {
      topVia = null; // answer the source address itself
    }
    this.#send(recovered, { status: error.status, reason: error.reasonPhrase, headers: [] }, {
      topVia,
      remote,
      transport,
    });
  }

  /**
   * One request through its transaction: answered before this returns when the answer needs no
   * write (OPTIONS, a challenge, a rejection), else a promise settled once it is sent.
   */
  #handleRequest(
    request: SipRequest,
    remote: Remote,
    transport: DatagramTransport,
  ): Promise<void> | undefined {
    const nowMs = this.#o.clock.nowMs();
    let topVia: Via;
    let key: string;
    try {
      const via = request.topVia ?? parseViaList(request.headers)[0];
      if (via === undefined) throw new SipParseError("Missing Via header");
      topVia = via;
      key = transactionKey(request, topVia);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      if (request.method !== "ACK") {
        this.#send(request, { status: error.status, reason: error.reasonPhrase, headers: [] }, {
          topVia: null,
          remote,
          transport,
        });
      }
      return;
    }
    if (request.method === "ACK") return; // no transaction of ours takes an ACK; never answered

    const { transactions } = this.#o;
    const existing = transactions.lookup(key, nowMs);
    if (existing !== null) {
      this.counters.retransmissions++;
      // §17.2.2: a retransmission in "completed" gets the cached final response again; in
      // "trying" it is absorbed (no provisional response was sent).
      if (existing.state === "completed") {
        const r = existing.response;
        transport.send(r.bytes, r.address, r.port);
      }
      return;
    }
    const source: SipEndpoint = { address: remote.address, port: remote.port, transport: "udp" };
    const route = { topVia, remote, transport };
    let answer: Answer | Promise<Answer>;
    try {
      answer = this.#dispatch(request, source, nowMs, topVia);
    } catch (error) {
      answer = this.#failed(request, error);
    }
    // An answer found before this returns needs no "trying" state: no retransmission can come
    // in between. A stateless one (§8.2.7) leaves no state at all; a retransmission of its
    // request is answered anew, as a first arrival would be.
    if (!(answer instanceof Promise)) {
      if (answer.stateless === true) this.#send(request, answer, route);
      else transactions.answer(key, this.#send(request, answer, route), nowMs);
      return;
    }
    transactions.begin(key, nowMs);
    return answer.then(
      (settled) => this.#complete(key, request, settled, route),
      (error) => this.#complete(key, request, this.#failed(request, error), route),
    );
  }

  /** Sends the final answer and keeps it in the transaction for retransmissions (§17.2.2). */
  #complete(
    key: string,
    request: SipRequest,
    answer: Answer,
    route: { topVia: Via; remote: Remote; transport: DatagramTransport },
  ): void {
    const cached = this.#send(request, answer, route);
    this.#o.transactions.complete(key, cached, this.#o.clock.nowMs());
  }

  /** A bug while answering: logged, answered 500. */
  #failed(request: SipRequest, error: unknown): Answer {
    this.#o.logger.error("request failed", {
      method: request.method,
      callId: request.headers.get("Call-ID"),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return { status: 500, reason: "Server Internal Error", headers: [] };
  }

  #dispatch(
    request: SipRequest,
    source: SipEndpoint,
    nowMs: number,
    topVia: Via,
  ): Answer | Promise<Answer> {
    // §8.2.2.1 (a Request-URI scheme we do not understand gets 416) is parseMessage's check.
    switch (request.method) {
      case "REGISTER": {
        this.counters.registers++;
        const reply = this.#o.registrar.handleRegister(request, source, nowMs);
        // Every REGISTER passes here: no log line to write, no extra promise to wait on.
        if (!this.#o.logger.isEnabled("debug")) return reply;
        if (reply instanceof Promise) {
          return reply.then((settled) => this.#logRegister(settled, source, topVia));
        }
        return this.#logRegister(reply, source, topVia);
      }
      case "OPTIONS": {
        // §11.2: OPTIONS is answered as an INVITE would be, listing what we support.
        const unsupported = unsupportedRequire(request);
        if (unsupported.length > 0) {
          const row = OUTCOMES.badExtension;
          return {
            status: row.status,
            reason: row.reason,
            headers: [["Unsupported", unsupported.join(", ")]],
          };
        }
        return {
          status: 200,
          reason: "OK",
          headers: [
            ["Allow", ALLOWED_METHODS],
            ["Supported", SUPPORTED_OPTION_TAGS.join(", ")],
            ["Accept", "application/sdp"],
          ],
        };
      }
      default:
        // §8.2.1: a method we do not support gets 405 with Allow.
        return {
          status: 405,
          reason: "Method Not Allowed",
          headers: [["Allow", ALLOWED_METHODS]],
        };
    }
  }

  #logRegister(reply: RegistrarReply, source: SipEndpoint, topVia: Via): RegistrarReply {
    this.#o.logger.debug("REGISTER", {
      aor: reply.aor,
      status: reply.status,
      source: `${source.address}:${source.port}`,
      branch: topVia.branch,
    });
    return reply;
  }

  /** Builds, serializes and sends one response (§8.2.6), routed per §18.2.2 and RFC 3581. */
  #send(
    request: SipRequest | RecoveredRequest,
    answer: Answer,
    route: { topVia: Via | null; remote: Remote; transport: DatagramTransport },
  ): { bytes: Uint8Array; address: string; port: number } {
    const bytes = formatResponse(request, answer.status, {
      reason: answer.reason,
      headers: answer.headers,
      source: route.remote,
      topVia: route.topVia ?? undefined,
      server: this.#o.serverHeader,
    });
    const target = responseTarget(route.topVia, route.remote);
    route.transport.send(bytes, target.address, target.port);
    const cls = `${Math.floor(answer.status / 100)}xx`;
    this.counters.responses[cls] = (this.counters.responses[cls] ?? 0) + 1;
    return { bytes, address: target.address, port: target.port };
  }
}

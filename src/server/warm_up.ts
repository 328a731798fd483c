// warmUp: phone-like registrations through a throwaway in-memory pipeline before the sockets open.
import { parseCredentials } from "../auth/credentials.ts";
import { computeHa1, digestResponse } from "../auth/digest.ts";
import type { MacFactory } from "../auth/nonce.ts";
import type { Clock } from "../clock.ts";
import { silentLogger } from "../log.ts";
import { openDataDirectory } from "../store/open_database.ts";
import { SqliteBindingStore } from "../store/sqlite_binding_store.ts";
import type { DatagramTransport, Remote } from "../transport/udp_transport.ts";
import { buildPipeline } from "./pipeline.ts";
import type { ServeConfig } from "./serve_config.ts";

/** What a warm-up did. */
export interface WarmUpReport {
  /** REGISTERs sent: new bindings, then their refreshes (each challenged first with auth). */
  registrations: number;
  /** Of those, how many were answered 200 OK (all of them, unless something is wrong). */
  registered: number;
  /** Wall-clock time it took. */
  ms: number;
}

/** Registrations in flight at once: one group commit's worth. */
const BATCH = 256;

/** The domain of the warm-up's AoRs when `--domain` allows any. */
const ANY_DOMAIN = "warm-up.invalid";

/** The warm-up's only password: its users live in a database that is thrown away. */
const PASSWORD = "warm-up";

/**
 * Runs `registrations` REGISTERs through a pipeline built exactly as `serve` builds its own
 * (`buildPipeline`), over an in-memory database, so that the JIT compiles the request path before
 * the first phone's request arrives instead of while a burst of them waits. Half are new bindings
 * and half refresh them; with `--auth required` each is challenged and answered with digest
 * credentials first, like a phone's. Nothing reaches the data directory, the sockets or the logs.
 *
 * Stops at the first batch boundary after `budgetMs` (a slow board must not wait long to serve).
 */
export async function warmUp(
  config: ServeConfig,
  registrations: number,
  budgetMs: number,
  clock: Clock,
  hmacSha256?: MacFactory,
): Promise<WarmUpReport> {
  const startMs = clock.nowMs();
  const { db } = openDataDirectory(":memory:");
  const store = new SqliteBindingStore(db, { ownsDatabase: true });
  const domain = config.domains[0] ?? ANY_DOMAIN;
  // One source address sends all of it: no allowlist and no rate limit in the throwaway copy.
  const warmConfig: ServeConfig = { ...config, allow: [], rateLimitPerSecond: 0 };
  const { server, users, transactions } = buildPipeline(db, store, warmConfig, {
    clock,
    logger: silentLogger,
    hmacSha256, // the server's own HMAC, so that is the code compiled
  });
  const answers = new Map<number, string>();
  const decoder = new TextDecoder();
  const transport: DatagramTransport = {
    protocol: "udp",
    local: { address: "127.0.0.1", port: 5060 },
    receiveBufferBytes: null,
    send(data, _address, port) {
      answers.set(port, decoder.decode(data));
    },
    close: () => Promise.resolve(),
  };
  const phones = Math.ceil(registrations / 2);
  const refreshes = registrations - phones;
  let sent = 0;
  let registered = 0;
  try {
    // Each phone registers in the first pass and refreshes in the second (same Call-ID).
    passes: for (const pass of [1, 2]) {
      const inPass = pass === 1 ? phones : refreshes;
      for (let from = 0; from < inPass; from += BATCH) {
        if (clock.nowMs() - startMs >= budgetMs) break passes;
        const count = Math.min(BATCH, inPass - from);
        if (pass === 1 && users !== null) addUsers(users, domain, from, count, clock.nowMs());
        answers.clear();
        const batch: Phone[] = [];
        for (let index = from; index < from + count; index++) {
          batch.push(phoneOf(index, domain, config.defaultExpiresSeconds));
        }
        for (const phone of batch) {
          server.handleDatagram(encode(register(phone, pass, null)), phone.remote, transport);
        }
        await server.drain();
        if (users !== null) {
          // Challenged (401): the same request again with credentials and the next CSeq.
          for (const phone of batch) {
            const challenge = answers.get(phone.remote.port);
            if (challenge === undefined || !challenge.startsWith("SIP/2.0 401")) continue;
            const authorization = authorizationFor(phone, challenge);
            if (authorization === null) continue;
            const request = register(phone, pass + 2, authorization);
            server.handleDatagram(encode(request), phone.remote, transport);
          }
          await server.drain();
        }
        for (const phone of batch) {
          if (answers.get(phone.remote.port)?.startsWith("SIP/2.0 200") === true) registered++;
        }
        sent += count;
      }
    }
  } finally {
    transactions.close();
    store.close();
  }
  return { registrations: sent, registered, ms: clock.nowMs() - startMs };
}

/** One simulated phone: its user, address and dialog identifiers. */
interface Phone {
  user: string;
  domain: string;
  remote: Remote;
  callId: string;
  tag: string;
  /** Asked for: the configured default, which lies within the limits whatever they are. */
  expiresSeconds: number;
  /** Phones ask for their interval either way (§10.2.1.1): a Contact parameter or Expires. */
  expiresInContact: boolean;
}

function phoneOf(index: number, domain: string, expiresSeconds: number): Phone {
  return {
    user: `warm-up-${index}`,
    domain,
    // Distinct ports within a batch: answers are told apart by port.
    remote: { address: "192.0.2.1", port: 10_000 + (index % 50_000) },
    callId: `${index.toString(36)}-warm-up@192.0.2.1`,
    tag: `w${index.toString(36)}`,
    expiresSeconds,
    expiresInContact: index % 2 === 0,
  };
}

function addUsers(
  users: NonNullable<ReturnType<typeof buildPipeline>["users"]>,
  domain: string,
  from: number,
  count: number,
  nowMs: number,
): void {
  for (let index = from; index < from + count; index++) {
    const username = `warm-up-${index}`;
    users.add({
      username,
      realm: domain,
      ha1Md5: computeHa1("MD5", username, domain, PASSWORD),
      ha1Sha256: computeHa1("SHA-256", username, domain, PASSWORD),
      admin: false,
    }, nowMs);
  }
}

/** A REGISTER as a typical phone writes it; CSeq `cseq` (a challenged one is sent again +1). */
function register(phone: Phone, cseq: number, authorization: string | null): string {
  const { user, domain, remote } = phone;
  const lines = [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/UDP ${remote.address}:${remote.port};branch=z9hG4bK${phone.tag}.${cseq};rport`,
    "Max-Forwards: 70",
    `From: <sip:${user}@${domain}>;tag=${phone.tag}`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${phone.callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@${remote.address}:${remote.port};transport=udp>` +
    (phone.expiresInContact ? `;expires=${phone.expiresSeconds}` : ""),
  ];
  if (!phone.expiresInContact) lines.push(`Expires: ${phone.expiresSeconds}`);
  if (authorization !== null) lines.push(`Authorization: ${authorization}`);
  lines.push("User-Agent: registrar-warm-up", "Content-Length: 0", "", "");
  return lines.join("\r\n");
}

/** The Authorization value answering the first challenge of a 401, or null without one. */
function authorizationFor(phone: Phone, answer: string): string | null {
  // The first challenge offered (the preferred algorithm, RFC 8760 §2.4).
  const value = /\r\nWWW-Authenticate: *([^\r\n]*)/i.exec(answer)?.[1];
  if (value === undefined) return null;
  const params = parseCredentials(value).params;
  const param = (name: string) => params.get(name) ?? null;
  const realm = param("realm");
  const nonce = param("nonce");
  const algorithm = param("algorithm") === "SHA-256" ? "SHA-256" : "MD5";
  if (realm === null || nonce === null) return null;
  const uri = `sip:${phone.domain}`;
  const nc = "00000001";
  const cnonce = phone.tag;
  const digest = digestResponse({
    algorithm,
    ha1: computeHa1(algorithm, phone.user, realm, PASSWORD),
    method: "REGISTER",
    uri,
    nonce,
    qop: "auth",
    nc,
    cnonce,
  });
  const opaque = param("opaque");
  return `Digest username="${phone.user}", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
    `response="${digest}", algorithm=${algorithm}` +
    (opaque === null ? "" : `, opaque="${opaque}"`) + `, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}

const encoder = new TextEncoder();
function encode(text: string): Uint8Array {
  return encoder.encode(text);
}

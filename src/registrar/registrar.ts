// Registrar: RFC 3261 §10.3 REGISTER processing over an injected BindingStore, runtime-free.
import type { SipEndpoint, SipRequest } from "../sip/message.ts";
import { parseContacts } from "../sip/contact.ts";
import type { ContactEntry } from "../sip/contact.ts";
import { parseCSeq, parseExpires, parseOptionTags } from "../sip/header_values.ts";
import { parseNameAddr } from "../sip/name_addr.ts";
import { SipParseError } from "../sip/sip_parse_error.ts";
import { parseSipUri, sipUriEquals } from "../sip/sip_uri.ts";
import type { SipUri } from "../sip/sip_uri.ts";
import type { Binding, BindingEvent } from "./binding.ts";
import { bindingId } from "./binding_id.ts";
import type { AorChange, BindingStore } from "./binding_store.ts";
import { withExpiresParam } from "./contact_text.ts";
import { negotiateExpiry, remainingSeconds, requestedExpires } from "./expiry.ts";
import type { ExpiryPolicy } from "./expiry.ts";
import { OUTCOMES, RegistrarError } from "./outcomes.ts";
import type { OutcomeCode } from "./outcomes.ts";

/** What to do when a REGISTER would leave an AoR with more than `maxContacts` bindings. */
export type MaxContactsPolicy = "evict-oldest" | "reject";

/** The registrar's configuration. */
export interface RegistrarOptions extends ExpiryPolicy {
  /** Domains served (lower case); empty means any domain is accepted. */
  domains: string[];
  /** Most bindings one AoR may hold; 0 means no limit. */
  maxContacts: number;
  maxContactsPolicy: MaxContactsPolicy;
  /** Seconds a phone is told to wait with `--max-contacts-policy reject` (Retry-After). */
  retryAfterSeconds: number;
}

export const DEFAULT_REGISTRAR_OPTIONS: RegistrarOptions = {
  domains: [],
  minExpiresSeconds: 60,
  defaultExpiresSeconds: 3600,
  maxExpiresSeconds: 7200,
  maxContacts: 10,
  maxContactsPolicy: "evict-oldest",
  retryAfterSeconds: 60,
};

/** Option tags this registrar understands in Require (RFC 3261 §8.2.2.3). */
export const SUPPORTED_OPTION_TAGS: readonly string[] = ["path"];

/** The answer to a REGISTER, before it is turned into a SIP response. */
export interface RegistrarReply {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  /** The AoR concerned, when the request got far enough to name one. */
  aor: string | null;
  /**
   * True for a challenge to a request that carried no credentials: answered without transaction
   * state (RFC 3261 §8.2.7), so a flood of such requests leaves none behind (§26.1.5).
   */
  stateless?: boolean;
}

/** Who sent a REGISTER, once digest authentication succeeded. */
export interface AuthenticatedUser {
  username: string;
  realm: string;
  /** May register other users' AoRs (third-party registration, RFC 3261 §10.2). */
  admin: boolean;
}

/**
 * Step 3's answer: the user, or the outcome (401 challenge, 400, 403) to send instead. `stateless`
 * marks the challenge to a request without credentials for the realm (see `RegistrarReply`).
 */
export type AuthDecision =
  | { ok: true; user: AuthenticatedUser }
  | { ok: false; code: OutcomeCode; headers: Array<[string, string]>; stateless?: boolean };

/**
 * RFC 3261 §10.3 step 3: authenticates a REGISTER for a realm (the Request-URI's domain).
 * src/auth implements it; without one, every REGISTER is accepted (`--auth off`).
 */
export interface RegisterAuthenticator {
  authenticate(
    request: SipRequest,
    realm: string,
    source: SipEndpoint,
    nowMs: number,
  ): AuthDecision;
}

/** A REGISTER's contacts after negotiation, before they meet the stored bindings. */
interface ContactRequest {
  entry: ContactEntry;
  /** Seconds granted, or 0 to remove. */
  seconds: number;
}

/** The AoR of a To URI (RFC 3261 §10.3 step 5): scheme, user and lower-cased host only. */
export function aorOf(uri: SipUri): string {
  return uri.user === null ? `sip:${uri.host}` : `sip:${uri.user}@${uri.host}`;
}

function reply(
  code: OutcomeCode,
  aor: string | null,
  headers: Array<[string, string]> = [],
): RegistrarReply {
  const row = OUTCOMES[code];
  return { status: row.status, reason: row.reason, headers, aor };
}

/** A rule's failure as its answer; anything else is a bug and is thrown on. */
function failure(error: unknown, aor: string | null): RegistrarReply {
  if (error instanceof RegistrarError) return reply(error.code, aor, error.headers);
  if (error instanceof SipParseError) {
    return { status: error.status, reason: error.reasonPhrase, headers: [], aor };
  }
  throw error;
}

/** Unknown option tags in Require (RFC 3261 §8.2.2.3); empty when the request may proceed. */
export function unsupportedRequire(request: SipRequest): string[] {
  return parseOptionTags(request.headers, "Require").filter((t) =>
    !SUPPORTED_OPTION_TAGS.includes(t)
  );
}

/**
 * Processes REGISTER requests per RFC 3261 §10.3. Parsing and negotiation happen before the
 * store is touched; the binding changes of one request are computed and written inside one
 * store transaction, all or nothing, and the reply is built once that change is durable.
 *
 * @example
 * ```ts
 * const registrar = new Registrar(store, DEFAULT_REGISTRAR_OPTIONS);
 * const answer = await registrar.handleRegister(request, source, clock.nowMs());
 * ```
 */
export class Registrar {
  readonly #store: BindingStore;
  readonly #options: RegistrarOptions;

  readonly #authenticator: RegisterAuthenticator | null;

  constructor(
    store: BindingStore,
    options: RegistrarOptions,
    authenticator: RegisterAuthenticator | null = null,
  ) {
    this.#store = store;
    this.#options = options;
    this.#authenticator = authenticator;
  }

  get options(): RegistrarOptions {
    return this.#options;
  }

  /**
   * Answers one REGISTER; `nowMs` is the one clock reading every expiry derives from. An answer
   * that needs no write (a challenge, a rejection) comes back at once; one that changes or reads
   * the location table as a promise that settles after the commit.
   */
  handleRegister(
    request: SipRequest,
    source: SipEndpoint,
    nowMs: number,
  ): RegistrarReply | Promise<RegistrarReply> {
    let aor: string | null = null;
    try {
      // Step 1: the Request-URI names the domain whose bindings are to be changed.
      const requestUri = request.uri ?? parseSipUri(request.requestUri);
      if (!this.#serves(requestUri.host)) return reply("domainNotServed", null);

      // Step 2: Require with option tags we do not implement gets 420 listing them.
      const unsupported = unsupportedRequire(request);
      if (unsupported.length > 0) {
        return reply("badExtension", null, [["Unsupported", unsupported.join(", ")]]);
      }

      // Step 5: the AoR is the To URI without parameters, host compared case-insensitively.
      const toUri = this.#toUri(request);
      aor = aorOf(toUri);

      // Step 3: authenticate (de-registrations and "*" too: forged removal is an attack).
      if (this.#authenticator !== null) {
        const realm = requestUri.host.toLowerCase();
        const decision = this.#authenticator.authenticate(request, realm, source, nowMs);
        if (!decision.ok) {
          const answer = reply(decision.code, aor, decision.headers);
          if (decision.stateless === true) answer.stateless = true;
          return answer;
        }
        // Step 4: an authenticated user registers its own AoR, unless it is an admin.
        const own = decision.user.username === toUri.user &&
          decision.user.realm === toUri.host.toLowerCase();
        if (!own && !decision.user.admin) return reply("thirdPartyForbidden", aor);
      }
      if (!this.#serves(toUri.host)) return reply("aorNotServed", aor);

      const { seq: cseq } = parseCSeq(request.headers.get("CSeq") ?? "");
      const callId = request.headers.get("Call-ID") ?? "";
      const expiresHeader = request.headers.get("Expires");
      const headerExpires = expiresHeader === undefined ? null : parseExpires(expiresHeader);
      const contacts = parseContacts(request.headers);

      let change: (current: readonly Binding[]) => AorChange<Binding[]>;
      if (contacts.wildcard) {
        // Step 6: "*" is valid only alone and with an Expires header of zero.
        if (contacts.contacts.length > 0) return reply("wildcardNotAlone", aor);
        if (headerExpires !== 0) return reply("wildcardNeedsExpiresZero", aor);
        change = (current) => this.#removeAll(current, callId, cseq, source, nowMs);
      } else {
        const wanted = this.#negotiate(contacts.contacts, headerExpires);
        const context = { aor, callId, cseq, source, nowMs, request };
        change = (current) => this.#apply(context, wanted, current);
      }
      return this.#commit(request, aor, change, nowMs);
    } catch (error) {
      return failure(error, aor);
    }
  }

  /** Steps 6–8: the change, applied and committed; then the 200 listing the bindings. */
  async #commit(
    request: SipRequest,
    aor: string,
    change: (current: readonly Binding[]) => AorChange<Binding[]>,
    nowMs: number,
  ): Promise<RegistrarReply> {
    try {
      let bindings: Binding[];
      try {
        bindings = await this.#store.update(aor, change);
      } catch (error) {
        if (error instanceof RegistrarError) throw error;
        return reply("storeUnavailable", aor, [["Retry-After", "5"]]);
      }
      return this.#ok(request, aor, bindings, nowMs);
    } catch (error) {
      return failure(error, aor);
    }
  }

  #serves(host: string): boolean {
    const domains = this.#options.domains;
    return domains.length === 0 || domains.includes(host.toLowerCase());
  }

  #toUri(request: SipRequest): SipUri {
    const to = request.to ?? parseNameAddr(request.headers.get("To") ?? "");
    try {
      return parseSipUri(to.uri);
    } catch (error) {
      if (error instanceof SipParseError && error.status === 416) {
        throw new RegistrarError("aorNotSip");
      }
      throw error;
    }
  }

  /** Step 7's expiry rules for every contact; one contact too brief fails the whole request. */
  #negotiate(entries: ContactEntry[], headerExpires: number | null): ContactRequest[] {
    const out: ContactRequest[] = [];
    for (const entry of entries) {
      const asked = requestedExpires(entry.expires, headerExpires, this.#options);
      const decision = negotiateExpiry(asked, this.#options);
      if (decision.kind === "too-brief") {
        // §10.3 step 7 / §20.23: the 423 carries the registrar's minimum in Min-Expires.
        throw new RegistrarError("intervalTooBrief", [
          ["Min-Expires", String(decision.minExpiresSeconds)],
        ]);
      }
      const seconds = decision.kind === "remove" ? 0 : decision.seconds;
      // The same URI twice in one request: the last one wins.
      const earlier = out.findIndex((c) => sipUriEquals(c.entry.uri, entry.uri));
      if (earlier !== -1) out.splice(earlier, 1);
      out.push({ entry, seconds });
    }
    return out;
  }

  /** Step 7: the Call-ID/CSeq rule that makes out-of-order requests from one UA harmless. */
  #checkOrder(existing: Binding, callId: string, cseq: number, nowMs: number): void {
    if (existing.expiresAtMs <= nowMs) return; // an expired binding no longer exists
    if (existing.callId === callId && cseq <= existing.cseq) {
      throw new RegistrarError("staleCSeq");
    }
  }

  /** Step 6, wildcard: remove every binding, unless one of them is newer than this request. */
  #removeAll(
    current: readonly Binding[],
    callId: string,
    cseq: number,
    source: SipEndpoint,
    nowMs: number,
  ): AorChange<Binding[]> {
    const events: BindingEvent[] = [];
    for (const b of current) {
      this.#checkOrder(b, callId, cseq, nowMs);
      if (b.expiresAtMs > nowMs) events.push(event(nowMs, "unregistered", b, source, "Contact: *"));
    }
    return { put: [], remove: current.map((b) => b.id), events, result: [] };
  }

  #apply(
    context: {
      aor: string;
      callId: string;
      cseq: number;
      source: SipEndpoint;
      nowMs: number;
      request: SipRequest;
    },
    wanted: ContactRequest[],
    current: readonly Binding[],
  ): AorChange<Binding[]> {
    const { aor, callId, cseq, source, nowMs, request } = context;
    const userAgent = request.headers.get("User-Agent") ?? null;
    const pathValues = request.headers.list("Path");
    const path = pathValues.length > 0 ? pathValues.join(", ") : null;

    // Working copy keyed by id; parsed URIs of stored contacts for §19.1.4 comparison.
    const bindings = new Map<string, Binding>();
    const storedUris = new Map<string, SipUri | null>();
    for (const b of current) {
      bindings.set(b.id, b);
      storedUris.set(b.id, tryParseSipUri(b.contactUri));
    }
    const events: BindingEvent[] = [];
    const touched = new Set<string>();

    for (const { entry, seconds } of wanted) {
      const existing = current.find((b) => {
        const uri = storedUris.get(b.id);
        return uri !== null && uri !== undefined && sipUriEquals(uri, entry.uri);
      });
      if (existing) this.#checkOrder(existing, callId, cseq, nowMs);
      const live = existing !== undefined && existing.expiresAtMs > nowMs;

      if (seconds === 0) {
        if (existing) {
          bindings.delete(existing.id);
          if (live) events.push(event(nowMs, "unregistered", existing, source, null));
        }
        continue;
      }
      const id = existing?.id ?? bindingId(aor, entry.uriText, bindings);
      const binding: Binding = {
        id,
        aor,
        contact: entry.text,
        contactUri: entry.uriText,
        q: entry.q,
        callId,
        cseq,
        expiresSeconds: seconds,
        expiresAtMs: nowMs + seconds * 1000,
        registeredAtMs: live ? existing.registeredAtMs : nowMs,
        refreshedAtMs: nowMs,
        sourceAddress: source.address,
        sourcePort: source.port,
        transport: source.transport,
        userAgent,
        path,
        instance: entry.instance,
        regId: entry.regId,
      };
      bindings.set(id, binding);
      touched.add(id);
      events.push(
        event(nowMs, live ? "refreshed" : "registered", binding, source, `expires=${seconds}`),
      );
    }

    this.#replaceSameDevice(bindings, touched, events, source, nowMs);
    this.#enforceMaxContacts(bindings, touched, events, callId, source, nowMs);

    const put: Binding[] = [];
    for (const id of touched) {
      const b = bindings.get(id);
      if (b !== undefined) put.push(b);
    }
    const remove: string[] = [];
    for (const b of current) if (!bindings.has(b.id)) remove.push(b.id);
    const result: Binding[] = [];
    for (const b of bindings.values()) if (b.expiresAtMs > nowMs) result.push(b);
    // A plain refresh may be written a little later: a crash then only shortens it (see
    // AorChange.deferrable); anything that adds, removes or changes more is written before the 200.
    const deferrable = put.length > 0 && remove.length === 0 &&
      events.every((e) => e.kind === "refreshed") &&
      put.every((b) => isPlainRefresh(current.find((c) => c.id === b.id), b, nowMs));
    return { put, remove, events, result, deferrable };
  }

  /**
   * One device, one binding: a new contact carrying the `+sip.instance` (and `reg-id`) of an
   * existing binding replaces it (RFC 5626 §6, RFC 5627 §3.3), so a phone that changed its IP
   * address does not leave its old, unreachable contact bound until it expires.
   */
  #replaceSameDevice(
    bindings: Map<string, Binding>,
    touched: Set<string>,
    events: BindingEvent[],
    source: SipEndpoint,
    nowMs: number,
  ): void {
    for (const id of touched) {
      const fresh = bindings.get(id);
      if (!fresh || fresh.instance === null) continue;
      for (const old of [...bindings.values()]) {
        if (touched.has(old.id) || old.instance !== fresh.instance || old.regId !== fresh.regId) {
          continue;
        }
        bindings.delete(old.id);
        events.push(event(nowMs, "replaced", old, source, `by ${fresh.id} (same +sip.instance)`));
      }
    }
  }

  /**
   * `--max-contacts`: first a binding of the same device (same Call-ID: the phone moved to a new
   * address) gives way, then the least recently refreshed one, or, with the reject policy, the
   * request is refused with 503 and Retry-After (never 403: phones read that as a bad password).
   */
  #enforceMaxContacts(
    bindings: Map<string, Binding>,
    touched: Set<string>,
    events: BindingEvent[],
    callId: string,
    source: SipEndpoint,
    nowMs: number,
  ): void {
    const max = this.#options.maxContacts;
    if (max === 0 || bindings.size <= max) return; // the live ones are fewer still
    const added = [...touched].some((id) => bindings.has(id));
    if (!added) return;
    const live = () => [...bindings.values()].filter((b) => b.expiresAtMs > nowMs);
    if (live().length <= max) return;

    const others = () =>
      live().filter((b) => !touched.has(b.id)).sort((a, b) => a.refreshedAtMs - b.refreshedAtMs);
    for (const old of others()) {
      if (live().length <= max) return;
      if (old.callId !== callId) continue;
      bindings.delete(old.id);
      events.push(event(nowMs, "replaced", old, source, "same Call-ID, over --max-contacts"));
    }
    if (live().length <= max) return;
    const retry: Array<[string, string]> = [
      ["Retry-After", String(this.#options.retryAfterSeconds)],
    ];
    if (this.#options.maxContactsPolicy === "reject") {
      throw new RegistrarError("tooManyContacts", retry);
    }
    for (const old of others()) {
      if (live().length <= max) return;
      bindings.delete(old.id);
      events.push(event(nowMs, "evicted", old, source, "oldest binding, over --max-contacts"));
    }
    // The request alone names more contacts than the AoR may hold.
    if (live().length > max) throw new RegistrarError("tooManyContacts", retry);
  }

  /** Step 8: 200 with every current binding, its granted expires, and a Date header. */
  #ok(request: SipRequest, aor: string, bindings: Binding[], nowMs: number): RegistrarReply {
    const headers: Array<[string, string]> = [];
    for (const b of bindings) {
      headers.push([
        "Contact",
        withExpiresParam(b.contact, remainingSeconds(b.expiresAtMs, nowMs)),
      ]);
    }
    // RFC 3327 §5.3: the registrar echoes the stored Path when the UA supports it.
    const supported = parseOptionTags(request.headers, "Supported");
    if (supported.includes("path")) {
      for (const value of request.headers.getAll("Path")) headers.push(["Path", value]);
    }
    headers.push(["Date", httpDate(nowMs)]);
    return { ...reply("ok", aor, headers) };
  }
}

let dateSecond = Number.NaN;
let dateText = "";

/**
 * RFC 3261 §20.17 Date (the RFC 1123 form, always GMT): whole seconds, so every 200 of one second
 * shares one string instead of formatting a Date per request.
 */
export function httpDate(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== dateSecond) {
    dateText = new Date(second * 1000).toUTCString();
    dateSecond = second;
  }
  return dateText;
}

/** Only the expiry, CSeq and refresh time of a live binding move. */
function isPlainRefresh(old: Binding | undefined, next: Binding, nowMs: number): boolean {
  return old !== undefined && old.expiresAtMs > nowMs && old.contact === next.contact &&
    old.contactUri === next.contactUri && old.q === next.q && old.callId === next.callId &&
    old.sourceAddress === next.sourceAddress && old.sourcePort === next.sourcePort &&
    old.transport === next.transport && old.userAgent === next.userAgent &&
    old.path === next.path && old.instance === next.instance && old.regId === next.regId;
}

function tryParseSipUri(text: string): SipUri | null {
  try {
    return parseSipUri(text);
  } catch {
    return null;
  }
}

function event(
  atMs: number,
  kind: BindingEvent["kind"],
  binding: Binding,
  source: SipEndpoint | null,
  detail: string | null,
): BindingEvent {
  return {
    atMs,
    aor: binding.aor,
    kind,
    bindingId: binding.id,
    contact: binding.contact,
    source: source === null ? null : `${source.address}:${source.port}`,
    detail,
  };
}

// diagnoseNat: NAT trouble read from stored bindings and their history, each with its usual fix.
import type { Binding, BindingEvent } from "../registrar/binding.ts";
import { parseSipUri } from "../sip/sip_uri.ts";

/** What kind of trouble a finding describes. */
export type NatProblem = "private-contact" | "source-port-changed" | "sip-alg";

/** One diagnosis: what was seen, and what usually fixes it. */
export interface NatFinding {
  problem: NatProblem;
  /** The binding concerned. */
  bindingId: string;
  /** One line: what the data shows. */
  message: string;
  /** One line: the usual fix. */
  fix: string;
}

/** Where an IP address lives; hostnames are "name". */
export type AddressScope =
  | "public"
  | "private"
  | "shared"
  | "link-local"
  | "loopback"
  | "unspecified"
  | "name";

const FIXES: Record<NatProblem, string> = {
  "private-contact":
    "enable rport (RFC 3581) or STUN on the phone, or register through an outbound proxy " +
    "that sends keep-alives",
  "source-port-changed":
    "register more often (or enable keep-alives) than the router's UDP timeout, or raise " +
    "that timeout",
  "sip-alg": 'disable the SIP ALG ("SIP helper", "SIP passthrough") on the router',
};

/**
 * Classifies an address: RFC 1918 and IPv6 ULA (fc00::/7) are "private", RFC 6598 (100.64/10)
 * "shared", 169.254/16 and fe80::/10 "link-local". Brackets around IPv6 are ignored.
 *
 * @example
 * ```ts
 * addressScope("192.168.1.20"); // "private"
 * addressScope("203.0.113.5"); // "public"
 * ```
 */
export function addressScope(address: string): AddressScope {
  const text = address.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) {
      return "private";
    }
    if (a === 100 && b >= 64 && b <= 127) return "shared";
    if (a === 169 && b === 254) return "link-local";
    if (a === 127) return "loopback";
    if (a === 0) return "unspecified";
    return "public";
  }
  if (!text.includes(":") || !/^[0-9a-f:.]+$/.test(text)) return "name";
  if (text === "::1") return "loopback";
  if (/^:*$/.test(text) || text === "::") return "unspecified";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (mapped) return addressScope(mapped[1]!);
  const first = parseInt(text.split(":")[0] || "0", 16);
  if ((first & 0xfe00) === 0xfc00) return "private";
  if ((first & 0xffc0) === 0xfe80) return "link-local";
  return "public";
}

/** True for RFC 1918, RFC 6598, link-local and ULA addresses: not reachable from outside. */
export function isPrivateAddress(address: string): boolean {
  const scope = addressScope(address);
  return scope === "private" || scope === "shared" || scope === "link-local";
}

/**
 * Looks for NAT trouble in an AoR's bindings and history (oldest event first):
 * - a private Contact address while the REGISTER came from a public address (no STUN / rport);
 * - a source port that changed across refreshes of one binding (the router's UDP mapping timed
 *   out between refreshes);
 * - a Contact naming the public source address but another port, or a public Contact equal to
 *   the source while earlier REGISTERs from that address carried a private one (a SIP ALG
 *   rewriting the Contact).
 */
export function diagnoseNat(
  bindings: readonly Binding[],
  history: readonly BindingEvent[],
): NatFinding[] {
  const findings: NatFinding[] = [];
  const add = (problem: NatProblem, bindingId: string, message: string) =>
    findings.push({ problem, bindingId, message, fix: FIXES[problem] });

  for (const b of bindings) {
    const contact = contactHostPort(b.contactUri);
    const source = b.sourceAddress.replace(/^\[|\]$/g, "").toLowerCase();
    const sourcePublic = addressScope(source) === "public";
    if (contact !== null && isPrivateAddress(contact.host) && sourcePublic) {
      add(
        "private-contact",
        b.id,
        `Contact address ${contact.host} is private but the REGISTER came from public ` +
          `${formatHostPort(source, b.sourcePort)}: the phone is behind NAT without STUN or rport`,
      );
    }

    const changes = portChanges(b.id, history);
    if (changes.length > 0) {
      const last = changes[changes.length - 1]!;
      add(
        "source-port-changed",
        b.id,
        `Source port changed ${changes.length === 1 ? "once" : `${changes.length} times`} ` +
          `across refreshes (last ${last.from} → ${last.to}): the router's UDP mapping expired ` +
          "before the phone refreshed",
      );
    }

    if (contact !== null && contact.host === source && sourcePublic) {
      if (contact.port !== b.sourcePort) {
        add(
          "sip-alg",
          b.id,
          `Contact names the public source address ${source} but port ${contact.port}, not the ` +
            `source port ${b.sourcePort}: something on the way rewrote the Contact (a SIP ALG)`,
        );
        continue;
      }
      const earlierPrivate = history.find((e) => {
        if (e.source === null || e.contact === null) return false;
        const from = splitSource(e.source);
        const hostPort = contactHostPort(uriOfContact(e.contact));
        return from !== null && from.address === source && hostPort !== null &&
          isPrivateAddress(hostPort.host);
      });
      if (earlierPrivate !== undefined) {
        const earlier = contactHostPort(uriOfContact(earlierPrivate.contact!))!;
        add(
          "sip-alg",
          b.id,
          `Contact shows the public address ${source}, but earlier REGISTERs from it carried ` +
            `the private ${earlier.host}: a SIP ALG on the router is rewriting the Contact`,
        );
      }
    }
  }
  return findings;
}

/** Port changes (same source address, another port) across one binding's events. */
function portChanges(
  bindingId: string,
  history: readonly BindingEvent[],
): Array<{ from: string; to: string }> {
  const changes: Array<{ from: string; to: string }> = [];
  let previous: { address: string; port: number } | null = null;
  for (const e of history) {
    if (e.bindingId !== bindingId || e.source === null) continue;
    if (e.kind !== "registered" && e.kind !== "refreshed") continue;
    const source = splitSource(e.source);
    if (source === null) continue;
    if (previous !== null && previous.address === source.address && previous.port !== source.port) {
      changes.push({
        from: formatHostPort(previous.address, previous.port),
        to: formatHostPort(source.address, source.port),
      });
    }
    previous = source;
  }
  return changes;
}

/** "address:port" of an event (IPv6 with or without brackets) split at the last colon. */
export function splitSource(text: string): { address: string; port: number } | null {
  const colon = text.lastIndexOf(":");
  if (colon === -1) return null;
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port)) return null;
  return { address: text.slice(0, colon).replace(/^\[|\]$/g, "").toLowerCase(), port };
}

/** The URI inside a Contact element: between <>, else up to the first ";". */
function uriOfContact(contact: string): string {
  const open = contact.indexOf("<");
  if (open !== -1) return contact.slice(open + 1, contact.indexOf(">", open));
  return contact.split(";")[0]!.trim();
}

function contactHostPort(uri: string): { host: string; port: number } | null {
  try {
    const parsed = parseSipUri(uri);
    return {
      host: parsed.host.replace(/^\[|\]$/g, ""),
      port: parsed.port ?? (parsed.scheme === "sips" ? 5061 : 5060),
    };
  } catch {
    return null;
  }
}

function formatHostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

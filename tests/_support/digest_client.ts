// The client side of digest authentication, for tests: answers a 401's challenge like a phone.
import { computeHa1, digestResponse } from "../../src/auth/digest.ts";
import { parseCredentials } from "../../src/auth/credentials.ts";
import type { DigestAlgorithm } from "../../src/auth/user_directory.ts";
import type { ReceivedResponse } from "./udp_client.ts";

export interface Challenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  algorithm: DigestAlgorithm;
  stale: boolean;
  qop: string | null;
}

/** The challenges of a 401, in the order offered. */
export function challengesOf(response: ReceivedResponse): Challenge[] {
  return (response.headers.get("www-authenticate") ?? []).map((value) => {
    const p = parseCredentials(value).params;
    return {
      realm: p.get("realm") ?? "",
      nonce: p.get("nonce") ?? "",
      opaque: p.get("opaque") ?? null,
      algorithm: (p.get("algorithm") ?? "MD5") as DigestAlgorithm,
      stale: p.get("stale") === "true",
      qop: p.get("qop") ?? null,
    };
  });
}

/** An Authorization header value answering `challenge`. */
export function authorization(
  challenge: Challenge,
  options: {
    username: string;
    password: string;
    method?: string;
    uri: string;
    nc?: number;
    cnonce?: string;
    qop?: boolean;
  },
): string {
  const nc = (options.nc ?? 1).toString(16).padStart(8, "0");
  const cnonce = options.cnonce ?? "0a4f113b";
  const useQop = options.qop ?? true;
  const response = digestResponse({
    algorithm: challenge.algorithm,
    ha1: computeHa1(challenge.algorithm, options.username, challenge.realm, options.password),
    method: options.method ?? "REGISTER",
    uri: options.uri,
    nonce: challenge.nonce,
    qop: useQop ? "auth" : null,
    nc: useQop ? nc : null,
    cnonce: useQop ? cnonce : null,
  });
  const parts = [
    `Digest username="${options.username}"`,
    `realm="${challenge.realm}"`,
    `nonce="${challenge.nonce}"`,
    `uri="${options.uri}"`,
    `response="${response}"`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.opaque !== null) parts.push(`opaque="${challenge.opaque}"`);
  if (useQop) parts.push("qop=auth", `nc=${nc}`, `cnonce="${cnonce}"`);
  return parts.join(", ");
}

// Builders of raw SIP requests for tests: CRLF text exactly as a phone would send it.
import { SipHeaders } from "../../src/sip/sip_headers.ts";
import type { SipRequest } from "../../src/sip/message.ts";

export interface RegisterSpec {
  user?: string;
  domain?: string;
  /** Contact header values (each one field); [] for a query. */
  contacts?: string[];
  expires?: number | string;
  callId?: string;
  cseq?: number;
  branch?: string;
  fromTag?: string;
  via?: string;
  requestUri?: string;
  to?: string;
  extra?: string[];
  method?: string;
}

let counter = 0;
/** A fresh branch with the RFC 3261 magic cookie. */
export function newBranch(): string {
  return `z9hG4bK-test-${Date.now().toString(36)}-${++counter}`;
}

/** A REGISTER as text with CRLF line ends. */
export function registerText(spec: RegisterSpec = {}): string {
  const user = spec.user ?? "bob";
  const domain = spec.domain ?? "office.test";
  const lines = [
    `${spec.method ?? "REGISTER"} ${spec.requestUri ?? `sip:${domain}`} SIP/2.0`,
    `Via: ${spec.via ?? `SIP/2.0/UDP 127.0.0.1:5099;branch=${spec.branch ?? newBranch()};rport`}`,
    "Max-Forwards: 70",
    `From: <sip:${user}@${domain}>;tag=${spec.fromTag ?? "f1"}`,
    `To: ${spec.to ?? `<sip:${user}@${domain}>`}`,
    `Call-ID: ${spec.callId ?? `call-${user}@test`}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.method ?? "REGISTER"}`,
    ...(spec.contacts ?? [`<sip:${user}@192.0.2.10:5060>`]).map((c) => `Contact: ${c}`),
    ...(spec.expires === undefined ? [] : [`Expires: ${spec.expires}`]),
    "User-Agent: test-phone/1.0",
    ...(spec.extra ?? []),
    "Content-Length: 0",
    "",
    "",
  ];
  return lines.join("\r\n");
}

/** The same request as a SipRequest value, without going through the parser. */
export function registerRequest(spec: RegisterSpec = {}): SipRequest {
  const text = registerText(spec);
  const [start, ...rest] = text.split("\r\n");
  const [method, requestUri] = start!.split(" ");
  const fields = rest.filter((l) => l !== "").map((l) => {
    const colon = l.indexOf(":");
    return { name: l.slice(0, colon), value: l.slice(colon + 1).trim() };
  });
  return {
    type: "request",
    method: method!,
    requestUri: requestUri!,
    headers: new SipHeaders(fields),
    body: new Uint8Array(),
  };
}

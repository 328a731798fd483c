// SIP status codes: the default reason phrase of every code the registrar may send or see.

/**
 * Every response code of RFC 3261 §21, plus 429 "Too Many Requests" borrowed from HTTP (RFC 6585
 * §4) for rate limiting. Note: the IANA SIP registry lists 429 as "Provide Referrer Identity"
 * (RFC 3892); SIP peers may not read it as a rate limit, while 503 + Retry-After is standard.
 */
export const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  // RFC 3261 §21.1 Provisional 1xx
  [100, "Trying"],
  [180, "Ringing"],
  [181, "Call Is Being Forwarded"],
  [182, "Queued"],
  [183, "Session Progress"],
  // RFC 3261 §21.2 Successful 2xx
  [200, "OK"],
  // RFC 3261 §21.3 Redirection 3xx
  [300, "Multiple Choices"],
  [301, "Moved Permanently"],
  [302, "Moved Temporarily"],
  [305, "Use Proxy"],
  [380, "Alternative Service"],
  // RFC 3261 §21.4 Request Failure 4xx
  [400, "Bad Request"],
  [401, "Unauthorized"],
  [402, "Payment Required"],
  [403, "Forbidden"],
  [404, "Not Found"],
  [405, "Method Not Allowed"],
  [406, "Not Acceptable"],
  [407, "Proxy Authentication Required"],
  [408, "Request Timeout"],
  [410, "Gone"],
  [413, "Request Entity Too Large"],
  [414, "Request-URI Too Long"],
  [415, "Unsupported Media Type"],
  [416, "Unsupported URI Scheme"],
  [420, "Bad Extension"],
  [421, "Extension Required"],
  [423, "Interval Too Brief"],
  [429, "Too Many Requests"], // RFC 6585 §4 (HTTP); see the note above
  [480, "Temporarily Unavailable"],
  [481, "Call/Transaction Does Not Exist"],
  [482, "Loop Detected"],
  [483, "Too Many Hops"],
  [484, "Address Incomplete"],
  [485, "Ambiguous"],
  [486, "Busy Here"],
  [487, "Request Terminated"],
  [488, "Not Acceptable Here"],
  [491, "Request Pending"],
  [493, "Undecipherable"],
  // RFC 3261 §21.5 Server Failure 5xx
  [500, "Server Internal Error"],
  [501, "Not Implemented"],
  [502, "Bad Gateway"],
  [503, "Service Unavailable"],
  [504, "Server Time-out"],
  [505, "Version Not Supported"],
  [513, "Message Too Large"],
  // RFC 3261 §21.6 Global Failures 6xx
  [600, "Busy Everywhere"],
  [603, "Decline"],
  [604, "Does Not Exist Anywhere"],
  [606, "Not Acceptable"],
]);

const CLASS_PHRASES: Record<number, string> = {
  1: "Provisional",
  2: "Success",
  3: "Redirection",
  4: "Client Error",
  5: "Server Error",
  6: "Global Failure",
};

/**
 * The default reason phrase for a status code; codes missing from the table get a generic phrase
 * for their class ("Client Error" for 499), as RFC 3261 §8.1.3.2 treats unknown codes as x00.
 *
 * @example
 * ```ts
 * reasonPhrase(423); // "Interval Too Brief"
 * ```
 */
export function reasonPhrase(status: number): string {
  const known = REASON_PHRASES.get(status);
  if (known !== undefined) return known;
  return CLASS_PHRASES[Math.floor(status / 100)] ?? "Unknown Status";
}

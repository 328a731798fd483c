// Tests for buildResponse, buildErrorResponse, formatMessage and responseTarget.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { SipRequest } from "../../src/sip/message.ts";
import { parseMessage } from "../../src/sip/parse_message.ts";
import {
  buildErrorResponse,
  buildResponse,
  defaultToTag,
  formatMessage,
  formatResponse,
  type ResponseOptions,
  responseTarget,
} from "../../src/sip/response.ts";
import { SipHeaders } from "../../src/sip/sip_headers.ts";
import { SipParseError } from "../../src/sip/sip_parse_error.ts";
import { parseVia } from "../../src/sip/via.ts";
import {
  catchSipError,
  fixtureNames,
  rawMessage,
  readFixture,
  REGISTER_LINES,
  registerWith,
} from "./_support.ts";

function request(lines: readonly string[]): SipRequest {
  const message = parseMessage(rawMessage([...lines]));
  assert.equal(message.type, "request");
  return message as SipRequest;
}

const SOURCE = { address: "203.0.113.9", port: 61000 };
const decoder = new TextDecoder();

describe("buildResponse()", () => {
  it("reads the To and From tags from the parser's To and From, as from the header text", () => {
    for (const toLine of ["To: <sip:sam@example.com>", "To: <sip:sam@example.com>;TAG=t9"]) {
      const req = request(registerWith("To:", toLine));
      assert.ok(req.to !== undefined && req.from !== undefined);
      const plain: SipRequest = { ...req };
      delete plain.to; // as a request built by hand: To and From are read from their text
      delete plain.from;
      assert.equal(
        buildResponse(req, 200).headers.get("To"),
        buildResponse(plain, 200).headers.get("To"),
      );
    }
    const tagged = request(registerWith("To:", "To: <sip:sam@example.com>;TAG=t9"));
    assert.equal(buildResponse(tagged, 200).headers.get("To"), "<sip:sam@example.com>;TAG=t9");
  });

  it("stamps the top Via from the parser's parsed element (topVia) without changing it", () => {
    const req = request([
      "REGISTER sip:example.com SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKa;rport, SIP/2.0/UDP p;branch=z9hG4bKp",
      "From: <sip:sam@example.com>;tag=s1",
      "To: <sip:sam@example.com>",
      "Call-ID: top@192.0.2.20",
      "CSeq: 1 REGISTER",
      "Content-Length: 0",
    ]);
    assert.deepEqual(req.topVia, parseVia("SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKa;rport"));
    const before = structuredClone(req.topVia);
    const stamped = buildResponse(req, 200, { source: SOURCE, topVia: req.topVia });
    const plain: SipRequest = { ...req };
    delete plain.topVia; // as a request built by hand: the Via is parsed from its text
    const unparsed = buildResponse(plain, 200, { source: SOURCE });
    assert.equal(
      stamped.headers.get("Via"),
      "SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKa;rport=61000;received=203.0.113.9, " +
        "SIP/2.0/UDP p;branch=z9hG4bKp",
    );
    assert.equal(unparsed.headers.get("Via"), stamped.headers.get("Via"));
    assert.deepEqual(req.topVia, before);
  });

  it("buildResponse() copies Via, From, To, Call-ID, CSeq in order and ends with Content-Length", () => {
    const req = request([
      "REGISTER sip:example.com SIP/2.0",
      "v: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKa, SIP/2.0/UDP proxy.example;branch=z9hG4bKp",
      "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKb",
      "f: <sip:sam@example.com>;tag=s1",
      "t: <sip:sam@example.com>",
      "i: copy@192.0.2.20",
      "CSeq: 7 REGISTER",
      "Max-Forwards: 70",
      "User-Agent: phone",
      "l: 0",
    ]);
    const res = buildResponse(req, 200, {
      toTag: "srv1",
      headers: [["Contact", "<sip:sam@192.0.2.20>;expires=3600"], ["Date", "today"]],
      server: "registrar/0.1",
    });
    assert.equal(res.type, "response");
    assert.equal(res.status, 200);
    assert.equal(res.reason, "OK");
    assert.deepEqual(res.headers.fields(), [
      {
        name: "Via",
        value:
          "SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKa, SIP/2.0/UDP proxy.example;branch=z9hG4bKp",
      },
      { name: "Via", value: "SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKb" },
      { name: "From", value: "<sip:sam@example.com>;tag=s1" },
      { name: "To", value: "<sip:sam@example.com>;tag=srv1" },
      { name: "Call-ID", value: "copy@192.0.2.20" },
      { name: "CSeq", value: "7 REGISTER" },
      { name: "Contact", value: "<sip:sam@192.0.2.20>;expires=3600" },
      { name: "Date", value: "today" },
      { name: "Server", value: "registrar/0.1" },
      { name: "Content-Length", value: "0" },
    ]);
    assert.equal(res.body.length, 0);
  });

  it("buildResponse() uses the given reason phrase", () => {
    const res = buildResponse(request(REGISTER_LINES), 423, {
      reason: "Interval Too Brief, Really",
    });
    assert.equal(res.reason, "Interval Too Brief, Really");
    assert.equal(buildResponse(request(REGISTER_LINES), 423).reason, "Interval Too Brief");
  });

  it("buildResponse() keeps an existing To tag and adds none to a 100", () => {
    const tagged = request(registerWith("To:", "To: <sip:sam@example.com>;tag=existing"));
    assert.equal(
      buildResponse(tagged, 200).headers.get("To"),
      "<sip:sam@example.com>;tag=existing",
    );
    const trying = buildResponse(request(REGISTER_LINES), 100);
    assert.equal(trying.headers.get("To"), "<sip:sam@example.com>");
  });

  it("buildResponse() copies Timestamp into a 100 only (RFC 3261 §8.2.6.1)", () => {
    const req = request([...REGISTER_LINES.slice(0, -1), "Timestamp: 54", "Content-Length: 0"]);
    assert.equal(buildResponse(req, 100).headers.get("Timestamp"), "54");
    assert.equal(buildResponse(req, 200).headers.get("Timestamp"), undefined);
  });

  it("buildResponse() derives the same To tag for the same request and another for another CSeq", () => {
    const a = buildResponse(request(REGISTER_LINES), 200).headers.get("To");
    const b = buildResponse(request(REGISTER_LINES), 200).headers.get("To");
    const c = buildResponse(request(registerWith("CSeq:", "CSeq: 2 REGISTER")), 200).headers.get(
      "To",
    );
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.match(a!, /^<sip:sam@example\.com>;tag=[0-9a-f]{16}$/);
    assert.equal(a, `<sip:sam@example.com>;tag=${defaultToTag(request(REGISTER_LINES).headers)}`);
  });

  const viaCases: Array<[string, string, string]> = [
    // [top Via of the request, source address, top Via of the response]
    [
      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK1",
      "192.0.2.20",
      "SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK1",
    ],
    [
      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK1",
      "203.0.113.9",
      "SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK1;received=203.0.113.9",
    ],
    [
      "Via: SIP/2.0/UDP phone.example.com;branch=z9hG4bK1",
      "203.0.113.9",
      "SIP/2.0/UDP phone.example.com;branch=z9hG4bK1;received=203.0.113.9",
    ],
    [
      "Via: SIP/2.0/UDP 10.0.0.2:5062;rport;branch=z9hG4bK1",
      "203.0.113.9",
      "SIP/2.0/UDP 10.0.0.2:5062;rport=61000;branch=z9hG4bK1;received=203.0.113.9",
    ],
    [
      // RFC 3581 §4: received is added even when it equals sent-by.
      "Via: SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK1;rport",
      "203.0.113.9",
      "SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK1;rport=61000;received=203.0.113.9",
    ],
    [
      "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK1;received=198.51.100.99",
      "203.0.113.9",
      "SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK1;received=203.0.113.9",
    ],
    [
      "Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1",
      "2001:db8::1",
      "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1",
    ],
    [
      "Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1;rport",
      "2001:db8::2",
      "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1;rport=61000;received=2001:db8::2",
    ],
    [
      "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK1",
      "::ffff:192.0.2.20",
      "SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK1",
    ],
    [
      "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1, SIP/2.0/UDP 10.2.2.2;branch=z9hG4bK2",
      "203.0.113.9",
      "SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1;received=203.0.113.9, SIP/2.0/UDP 10.2.2.2;branch=z9hG4bK2",
    ],
  ];
  for (const [via, address, want] of viaCases) {
    it(`buildResponse() stamps ${JSON.stringify(via)} from ${address}`, () => {
      const req = request(registerWith("Via:", via));
      const res = buildResponse(req, 200, { source: { address, port: 61000 } });
      assert.equal(res.headers.getAll("Via")[0], want);
    });
  }

  it("buildResponse() stamps a Via value given with blanks around it as its trimmed element", () => {
    const headers = new SipHeaders([
      { name: "Via", value: " SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1;rport\u00a0" },
    ]);
    const res = buildResponse({ method: "REGISTER", requestUri: "sip:x", headers }, 200, {
      source: { address: "203.0.113.9", port: 61000 },
    });
    assert.equal(
      res.headers.get("Via"),
      "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1;rport=61000;received=203.0.113.9",
    );
  });

  it("buildResponse() leaves Vias alone without a source", () => {
    const req = request(REGISTER_LINES);
    assert.deepEqual(buildResponse(req, 200).headers.getAll("Via"), req.headers.getAll("Via"));
  });

  it("buildResponse() works from a recovered request whose Via does not parse", () => {
    const error = catchSipError(() =>
      parseMessage(rawMessage(registerWith("Via:", "Via: SIP/2.0/UDP ;branch=z9hG4bKbad")))
    );
    assert.ok(error.recovered);
    const res = buildResponse(error.recovered, error.status, {
      reason: error.reasonPhrase,
      source: SOURCE,
    });
    assert.equal(res.status, 400);
    assert.equal(res.reason, "Invalid Via header");
    assert.deepEqual(res.headers.getAll("Via"), ["SIP/2.0/UDP ;branch=z9hG4bKbad"]);
    assert.equal(res.headers.get("Call-ID"), "test@192.0.2.20");
  });

  it("buildResponse() copies what a recovered request has, even with headers missing", () => {
    const headers = new SipHeaders([{ name: "Via", value: "SIP/2.0/UDP h;branch=z9hG4bK1" }]);
    const res = buildResponse({ method: "REGISTER", requestUri: "sip:x", headers }, 400);
    assert.deepEqual(res.headers.fields().map((f) => f.name), ["Via", "Content-Length"]);
  });
});

describe("buildErrorResponse()", () => {
  it("buildErrorResponse() answers a recovered request with the error's status and phrase", () => {
    const error = catchSipError(() => parseMessage(rawMessage(registerWith("Call-ID:", null))));
    const res = buildErrorResponse(error, { source: SOURCE, server: "registrar" });
    assert.ok(res);
    assert.equal(res.status, 400);
    assert.equal(res.reason, "Missing Call-ID header");
    assert.equal(res.headers.get("Server"), "registrar");
    assert.match(res.headers.get("Via")!, /;rport=61000;received=203\.0\.113\.9$/);
  });

  it("buildErrorResponse() answers 505 for an unknown SIP version", () => {
    const lines = registerWith("REGISTER", "REGISTER sip:example.com SIP/3.0");
    const res = buildErrorResponse(catchSipError(() => parseMessage(rawMessage(lines))));
    assert.equal(res?.status, 505);
  });

  const dropped: Array<[string, SipParseError]> = [
    ["a keep-alive", catchSipError(() => parseMessage(new TextEncoder().encode("\r\n\r\n")))],
    [
      "garbage",
      catchSipError(() => parseMessage(new TextEncoder().encode("\u0000\u0001\r\n\r\n"))),
    ],
    [
      "a request without Via",
      catchSipError(() => parseMessage(rawMessage(registerWith("Via:", null)))),
    ],
    [
      "an ACK",
      catchSipError(() =>
        parseMessage(rawMessage(["ACK sip:a@b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1"]))
      ),
    ],
    [
      "a response",
      catchSipError(() => parseMessage(rawMessage(["SIP/2.0 200 OK", "Via: SIP/2.0/UDP h"]))),
    ],
  ];
  for (const [what, error] of dropped) {
    it(`buildErrorResponse() drops ${what}`, () => {
      assert.equal(buildErrorResponse(error), null);
    });
  }
});

describe("formatMessage()", () => {
  it("formatMessage() writes the start line, headers as stored, Content-Length and CRLF CRLF", () => {
    const res = buildResponse(request(REGISTER_LINES), 200, { toTag: "t" });
    const text = decoder.decode(formatMessage(res));
    assert.equal(
      text,
      [
        "SIP/2.0 200 OK",
        "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKtest1;rport",
        "From: <sip:sam@example.com>;tag=s1",
        "To: <sip:sam@example.com>;tag=t",
        "Call-ID: test@192.0.2.20",
        "CSeq: 1 REGISTER",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
    );
  });

  it("formatMessage() rewrites Content-Length in place to match the body", () => {
    const headers = new SipHeaders([
      { name: "l", value: "999" },
      { name: "Via", value: "SIP/2.0/UDP h;branch=z9hG4bK1" },
      { name: "Content-Length", value: "5" },
    ]);
    const bytes = formatMessage({
      type: "request",
      method: "MESSAGE",
      requestUri: "sip:a@b",
      headers,
      body: new TextEncoder().encode("héllo"),
    });
    assert.equal(
      decoder.decode(bytes),
      "MESSAGE sip:a@b SIP/2.0\r\nl: 6\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\nhéllo",
    );
  });

  it("formatMessage() appends Content-Length when absent and keeps values on one line", () => {
    const bytes = formatMessage({
      type: "response",
      status: 400,
      reason: "Bad\r\nInjected: yes",
      headers: new SipHeaders([{ name: "Warning", value: '399 x "a\nb"' }]),
      body: new Uint8Array(0),
    });
    assert.equal(
      decoder.decode(bytes),
      'SIP/2.0 400 Bad Injected: yes\r\nWarning: 399 x "a b"\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it("formatMessage() output parses back to the same message", () => {
    const req = request(REGISTER_LINES);
    const res = buildResponse(req, 200, { source: SOURCE, headers: [["Expires", "3600"]] });
    const back = parseMessage(formatMessage(res));
    assert.equal(back.type, "response");
    assert.deepEqual(back.headers.fields(), res.headers.fields());
    const again = parseMessage(formatMessage(req));
    assert.deepEqual(again.headers.fields(), req.headers.fields());
  });
});

describe("formatResponse()", () => {
  const optionSets: Array<[string, ResponseOptions]> = [
    ["no options", {}],
    ["a source and a Server", { source: SOURCE, server: "registrar" }],
    ["an IPv6 source", { source: { address: "2001:db8::7", port: 5060 } }],
    ["a reason with a line break", { reason: "Bad\r\nInjected: yes", source: SOURCE }],
    ["extra headers, a stored Content-Length among them", {
      source: SOURCE,
      headers: [["Contact", "<sip:a@b>;expires=60"], ["l", "9"], ["Content-Length", "7"]],
    }],
    ["a given To tag", { toTag: "fixed", source: SOURCE }],
  ];
  const requests: Array<[string, SipRequest]> = [["REGISTER_LINES", request(REGISTER_LINES)]];
  for (const name of fixtureNames()) {
    try {
      const message = parseMessage(readFixture(name));
      if (message.type === "request") requests.push([name, message]);
    } catch {
      // an invalid fixture: buildErrorResponse's tests cover recovered requests
    }
  }

  it("writes the bytes formatMessage(buildResponse()) writes, for every request fixture", () => {
    assert.ok(requests.length > 10, `only ${requests.length} requests to check`);
    for (const [name, req] of requests) {
      for (const status of [100, 200, 401, 423]) {
        for (const [label, options] of optionSets) {
          const opts = { ...options, topVia: req.topVia };
          assert.deepEqual(
            decoder.decode(formatResponse(req, status, opts)),
            decoder.decode(formatMessage(buildResponse(req, status, opts))),
            `${name}, ${status}, ${label}`,
          );
        }
      }
    }
  });

  it("keeps the client's spelling of the top Via while stamping it", () => {
    const req = request(
      registerWith("Via:", "Via: SIP/2.0/UDP 10.0.0.2:5062;RPort;Branch=z9hG4bK1"),
    );
    assert.equal(
      buildResponse(req, 200, { source: SOURCE, topVia: req.topVia }).headers.get("Via"),
      "SIP/2.0/UDP 10.0.0.2:5062;rport=61000;Branch=z9hG4bK1;received=203.0.113.9",
    );
  });

  it("reformats a top Via whose rport it cannot fill as text (a quoted ';rport', two rports)", () => {
    const cases: Array<[string, string]> = [
      [
        'Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1;x="a;rport";rport',
        'SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1;x="a;rport";rport=61000;received=203.0.113.9',
      ],
      [
        "Via: SIP/2.0/UDP 10.0.0.2;rport;branch=z9hG4bK1;rport",
        "SIP/2.0/UDP 10.0.0.2;rport=61000;branch=z9hG4bK1;received=203.0.113.9",
      ],
    ];
    for (const [line, want] of cases) {
      const req = request(registerWith("Via:", line));
      assert.equal(buildResponse(req, 200, { source: SOURCE }).headers.get("Via"), want, line);
      assert.ok(
        decoder.decode(formatResponse(req, 200, { source: SOURCE })).includes(
          `\r\nVia: ${want}\r\n`,
        ),
        line,
      );
    }
  });
});

describe("responseTarget()", () => {
  const cases: Array<[string | null, { address: string; port: number }]> = [
    [null, { address: "203.0.113.9", port: 61000 }],
    ["SIP/2.0/UDP 10.0.0.2:5062;rport;branch=z9hG4bK1", { address: "203.0.113.9", port: 61000 }],
    ["SIP/2.0/UDP 10.0.0.2:5062;rport=7000;branch=z9hG4bK1", {
      address: "203.0.113.9",
      port: 7000,
    }],
    ["SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1", { address: "203.0.113.9", port: 5062 }],
    ["SIP/2.0/UDP phone.example.com;branch=z9hG4bK1", { address: "203.0.113.9", port: 5060 }],
    [
      "SIP/2.0/UDP 10.0.0.2:5062;received=198.51.100.66;branch=z9hG4bK1",
      { address: "203.0.113.9", port: 5062 },
    ],
    ["SIP/2.0/UDP 10.0.0.2:5062;maddr=239.1.1.1;branch=z9hG4bK1", {
      address: "239.1.1.1",
      port: 5062,
    }],
    ["SIP/2.0/UDP 10.0.0.2;maddr=[2001:db8::5];branch=z9hG4bK1", {
      address: "2001:db8::5",
      port: 5060,
    }],
    ["SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1", { address: "203.0.113.9", port: 5070 }],
  ];
  for (const [via, want] of cases) {
    it(`responseTarget() sends to ${want.address}:${want.port} for ${JSON.stringify(via)}`, () => {
      assert.deepEqual(responseTarget(via === null ? null : parseVia(via), SOURCE), want);
    });
  }
});

// Tests for parseMessage: framing, folding, limits, mandatory headers and recovery.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { SipRequest } from "../../src/sip/message.ts";
import { DEFAULT_PARSE_LIMITS, parseMessage } from "../../src/sip/parse_message.ts";
import { catchSipError, rawMessage, REGISTER_LINES, registerWith } from "./_support.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parseRequest(data: Uint8Array): SipRequest {
  const message = parseMessage(data);
  assert.equal(message.type, "request");
  return message as SipRequest;
}

describe("parseMessage()", () => {
  it("parseMessage() reads a REGISTER", () => {
    const req = parseRequest(rawMessage([...REGISTER_LINES]));
    assert.equal(req.method, "REGISTER");
    assert.equal(req.requestUri, "sip:example.com");
    assert.equal(req.headers.size, REGISTER_LINES.length - 1);
    assert.equal(req.headers.get("cseq"), "1 REGISTER");
    assert.equal(req.body.length, 0);
  });

  it("parseMessage() keeps the Request-URI, To and From it parsed to check them", () => {
    const req = parseRequest(rawMessage([...REGISTER_LINES]));
    assert.equal(req.uri?.host, "example.com");
    assert.equal(req.uri?.scheme, "sip");
    assert.equal(req.to?.uri, "sip:sam@example.com");
    assert.equal(req.to?.params.has("tag"), false);
    assert.equal(req.from?.uri, "sip:sam@example.com");
    assert.ok(req.from?.params.get("tag"));
  });

  it("DEFAULT_PARSE_LIMITS are 16384 bytes, 128 headers, 4096-byte lines", () => {
    assert.deepEqual({ ...DEFAULT_PARSE_LIMITS }, {
      maxMessageBytes: 16384,
      maxHeaders: 128,
      maxLineBytes: 4096,
    });
  });

  for (const ping of ["", "\r\n", "\r\n\r\n", "\n", "\n\n\n\n", "\r\n\r\n\r\n\r\n"]) {
    it(`parseMessage() reports ${JSON.stringify(ping)} as a keep-alive (status 0)`, () => {
      const error = catchSipError(() => parseMessage(encoder.encode(ping)));
      assert.equal(error.status, 0);
      assert.equal(error.reasonPhrase, "Keep-alive");
      assert.equal(error.recovered, undefined);
    });
  }

  it("parseMessage() skips CRLFs before the start line (RFC 3261 §7.5)", () => {
    const data = encoder.encode("\r\n\n\r\n" + decoder.decode(rawMessage([...REGISTER_LINES])));
    assert.equal(parseRequest(data).method, "REGISTER");
  });

  it("parseMessage() accepts bare LF and mixed line endings", () => {
    const text = REGISTER_LINES.map((l, k) => l + (k % 2 ? "\n" : "\r\n")).join("") + "\n";
    const req = parseRequest(encoder.encode(text));
    assert.equal(req.headers.size, REGISTER_LINES.length - 1);
    assert.equal(req.headers.get("Call-ID"), "test@192.0.2.20");
  });

  it("parseMessage() unfolds continuation lines with one space (RFC 3261 §7.3.1)", () => {
    const req = parseRequest(rawMessage([
      ...REGISTER_LINES.slice(0, -1),
      "Subject: I know you're there,",
      "   pick up the phone",
      "\t and talk to me!",
      "X-Empty:",
      " ",
      "X-Then:",
      "  value",
      "Content-Length: 0",
    ]));
    assert.equal(
      req.headers.get("Subject"),
      "I know you're there, pick up the phone and talk to me!",
    );
    assert.equal(req.headers.get("X-Empty"), "");
    assert.equal(req.headers.get("X-Then"), "value");
  });

  it("parseMessage() keeps names as written, allows whitespace before the colon, trims values", () => {
    const req = parseRequest(rawMessage([
      ...REGISTER_LINES.slice(0, -1),
      "x-CUSTOM \t:   spaced value \t",
      "Content-Length: 0",
    ]));
    const field = req.headers.fields().find((f) => f.name === "x-CUSTOM");
    assert.deepEqual(field, { name: "x-CUSTOM", value: "spaced value" });
  });

  it("parseMessage() keeps every spelling of a name, common or not, and finds each", () => {
    const spellings = ["Call-ID", "call-id", "CALL-ID", "Call-Id", "i"];
    for (const spelling of spellings) {
      const req = parseRequest(
        rawMessage(registerWith("Call-ID:", `${spelling}: test@192.0.2.20`)),
      );
      assert.equal(req.headers.fields()[4]?.name, spelling);
      assert.equal(req.headers.get("Call-ID"), "test@192.0.2.20");
      assert.equal(req.headers.get("i"), "test@192.0.2.20");
    }
  });

  it("parseMessage() reads a datagram whose header section ends in LF LF, or runs to its end", () => {
    const lfOnly = REGISTER_LINES.join("\n") + "\n\n";
    assert.equal(parseRequest(encoder.encode(lfOnly)).headers.get("CSeq"), "1 REGISTER");
    const error = catchSipError(() => parseMessage(encoder.encode(REGISTER_LINES.join("\r\n"))));
    assert.equal(error.reasonPhrase, "Missing empty line after headers");
    assert.equal(error.recovered?.headers.get("Content-Length"), "0");
  });

  it("parseMessage() rejects a CR inside a header line of a CRLF message", () => {
    const error = catchSipError(() =>
      parseMessage(rawMessage(registerWith("Max-Forwards:", "Max-Forwards: 7\r0")))
    );
    assert.equal(error.reasonPhrase, "Invalid header line");
  });

  it("parseMessage() decodes UTF-8 header values", () => {
    const req = parseRequest(
      rawMessage(registerWith("To:", 'To: "Zoë Ñúñez 日本" <sip:sam@example.com>')),
    );
    assert.equal(req.headers.get("To"), '"Zoë Ñúñez 日本" <sip:sam@example.com>');
  });

  it("parseMessage() accepts a lower-case SIP version", () => {
    const req = parseRequest(
      rawMessage(registerWith("REGISTER", "REGISTER sip:example.com sip/2.0")),
    );
    assert.equal(req.method, "REGISTER");
  });

  it("parseMessage() reads a response", () => {
    const message = parseMessage(rawMessage([
      "SIP/2.0 401 Unauthorized Here",
      ...REGISTER_LINES.slice(1),
    ]));
    assert.equal(message.type, "response");
    if (message.type !== "response") return;
    assert.equal(message.status, 401);
    assert.equal(message.reason, "Unauthorized Here");
  });

  it("parseMessage() reads a response with an empty reason phrase", () => {
    const message = parseMessage(rawMessage(["SIP/2.0 200 ", ...REGISTER_LINES.slice(1)]));
    assert.equal(message.type === "response" && message.reason, "");
  });

  describe("body framing (RFC 3261 §18.3)", () => {
    const lines = (cl: string | null) => [
      "MESSAGE sip:a@example.com SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
      "To: <sip:a@example.com>",
      "From: <sip:b@example.com>;tag=1",
      "Call-ID: body@192.0.2.1",
      "CSeq: 1 MESSAGE",
      ...(cl === null ? [] : [`Content-Length: ${cl}`]),
    ];
    const cases: Array<[string | null, string, string]> = [
      ["5", "hello", "hello"],
      ["5", "hello world", "hello"],
      ["0", "trailing junk", ""],
      [null, "the rest\r\nof it", "the rest\r\nof it"],
      [" 3 ", "abcdef", "abc"],
      ["000002", "abcdef", "ab"],
    ];
    for (const [cl, body, want] of cases) {
      it(`parseMessage() takes ${JSON.stringify(want)} from ${JSON.stringify(body)} with Content-Length ${cl}`, () => {
        const req = parseRequest(rawMessage(lines(cl), body));
        assert.equal(decoder.decode(req.body), want);
      });
    }

    it("parseMessage() returns the body as a view into the datagram", () => {
      const data = rawMessage(lines("3"), "abc");
      const req = parseRequest(data);
      assert.equal(req.body.buffer, data.buffer);
      assert.equal(req.body.byteOffset, data.length - 3);
    });

    it("parseMessage() counts Content-Length in bytes, not characters", () => {
      const req = parseRequest(rawMessage(lines("4"), "éé"));
      assert.equal(decoder.decode(req.body), "éé");
    });

    const bad: Array<[string, string, string]> = [
      ["6", "hello", "Content-Length larger than message body"],
      ["99999999999999999999", "x", "Content-Length larger than message body"],
      ["-1", "hello", "Invalid Content-Length header"],
      ["5.0", "hello", "Invalid Content-Length header"],
      ["five", "hello", "Invalid Content-Length header"],
      ["", "hello", "Invalid Content-Length header"],
      ["0x5", "hello", "Invalid Content-Length header"],
    ];
    for (const [cl, body, reason] of bad) {
      it(`parseMessage() rejects Content-Length ${JSON.stringify(cl)} with "${reason}"`, () => {
        const error = catchSipError(() => parseMessage(rawMessage(lines(cl), body)));
        assert.equal(error.status, 400);
        assert.equal(error.reasonPhrase, reason);
        assert.equal(error.recovered?.method, "MESSAGE");
      });
    }
  });

  describe("mandatory headers (RFC 3261 §8.1.1)", () => {
    for (const name of ["To", "From", "Call-ID", "CSeq", "Via"]) {
      it(`parseMessage() rejects a request without ${name}`, () => {
        const error = catchSipError(() => parseMessage(rawMessage(registerWith(`${name}:`, null))));
        assert.equal(error.status, 400);
        assert.equal(error.reasonPhrase, `Missing ${name} header`);
      });
    }
    const compact: Record<string, string> = { To: "t", From: "f", "Call-ID": "i" };
    for (const name of ["To", "From", "Call-ID", "CSeq"]) {
      it(`parseMessage() rejects a request with two ${name} fields`, () => {
        const line = REGISTER_LINES.find((l) => l.startsWith(`${name}:`))!;
        const dup = compact[name] ? line.replace(`${name}:`, `${compact[name]}:`) : line;
        const error = catchSipError(() =>
          parseMessage(rawMessage([...REGISTER_LINES.slice(0, -1), dup, "Content-Length: 0"]))
        );
        assert.equal(error.reasonPhrase, `Duplicate ${name} header`);
        assert.match(error.message, new RegExp(`^Duplicate ${name} header`));
      });
    }
    it("parseMessage() accepts several Via fields", () => {
      const lines = [...REGISTER_LINES.slice(0, 2), "Via: SIP/2.0/UDP h;branch=z9hG4bK2"];
      const req = parseRequest(rawMessage([...lines, ...REGISTER_LINES.slice(2)]));
      assert.equal(req.headers.count("Via"), 2);
    });
  });

  const rejects: Array<[string, string[], number, string]> = [
    [
      "a CSeq method mismatch",
      registerWith("CSeq:", "CSeq: 1 INVITE"),
      400,
      "CSeq method does not match request method",
    ],
    [
      "a CSeq method differing in case",
      registerWith("CSeq:", "CSeq: 1 register"),
      400,
      "CSeq method does not match request method",
    ],
    [
      "a CSeq of 2^31",
      registerWith("CSeq:", "CSeq: 2147483648 REGISTER"),
      400,
      "Invalid CSeq header",
    ],
    ["an empty Call-ID", registerWith("Call-ID:", "Call-ID:"), 400, "Invalid Call-ID header"],
    [
      "a Call-ID with spaces",
      registerWith("Call-ID:", "Call-ID: a b"),
      400,
      "Invalid Call-ID header",
    ],
    [
      "SIP/2.1",
      registerWith("REGISTER", "REGISTER sip:example.com SIP/2.1"),
      505,
      "Version Not Supported",
    ],
    [
      "SIP/1.0",
      registerWith("REGISTER", "REGISTER sip:example.com SIP/1.0"),
      505,
      "Version Not Supported",
    ],
    [
      "a missing version",
      registerWith("REGISTER", "REGISTER sip:example.com"),
      400,
      "Invalid request line",
    ],
    [
      "a tel: Request-URI",
      registerWith("REGISTER", "REGISTER tel:+15551234 SIP/2.0"),
      416,
      "Unsupported URI Scheme",
    ],
    [
      "a bad Request-URI",
      registerWith("REGISTER", "REGISTER sip:exa%mple.com SIP/2.0"),
      400,
      "Invalid SIP URI",
    ],
    [
      "a bad From",
      registerWith("From:", "From: <sip:sam@example.com;tag=s1"),
      400,
      "Invalid From header",
    ],
    ["a bad To", registerWith("To:", "To: sam"), 400, "Invalid To header"],
    [
      "a bad second Via",
      [...REGISTER_LINES.slice(0, 2), "Via: SIP/2.0/UDP", ...REGISTER_LINES.slice(2)],
      400,
      "Invalid Via header",
    ],
    [
      "a header without a name",
      [...REGISTER_LINES.slice(0, -1), ": value", "Content-Length: 0"],
      400,
      "Invalid header line",
    ],
    [
      "a header name with a space",
      [...REGISTER_LINES.slice(0, -1), "X Y: value", "Content-Length: 0"],
      400,
      "Invalid header line",
    ],
    [
      "a lone CR inside a header",
      [...REGISTER_LINES.slice(0, -1), "X-Y: a\rb", "Content-Length: 0"],
      400,
      "Invalid header line",
    ],
    [
      "a DEL in a header",
      [...REGISTER_LINES.slice(0, -1), "X-Y: a\x7fb", "Content-Length: 0"],
      400,
      "Invalid header line",
    ],
  ];
  for (const [what, lines, status, reason] of rejects) {
    it(`parseMessage() rejects ${what} with ${status} "${reason}" and recovers the request`, () => {
      const error = catchSipError(() => parseMessage(rawMessage(lines)));
      assert.equal(error.status, status);
      assert.equal(error.reasonPhrase, reason);
      assert.equal(error.recovered?.method, lines[0]!.split(/[ \t]/)[0]);
      assert.equal(error.recovered?.headers.get("Via"), lines[1]!.slice(5));
    });
  }

  it("parseMessage() accepts control characters escaped in a quoted-pair", () => {
    const req = parseRequest(
      rawMessage(registerWith("To:", 'To: "a\\\x00b\\\x07" <sip:sam@example.com>')),
    );
    assert.equal(req.headers.get("To"), '"a\\\x00b\\\x07" <sip:sam@example.com>');
  });

  const garbage = [
    "\x00\x00\x00\x00",
    "\x01\x00\x00\x08\x21\x12\xa4\x42 stun-ish",
    "NOTSIP",
    "<html> hello",
    " REGISTER sip:example.com SIP/2.0",
    "REGISTER\tsip:example.com SIP/2.0",
    "SIP/2.0 2000 OK",
    "SIP/2.0 OK",
    "SIP/2.0 099 Low",
  ];
  for (const start of garbage) {
    it(`parseMessage() rejects start line ${JSON.stringify(start)} without recovery`, () => {
      const error = catchSipError(() =>
        parseMessage(rawMessage([start, ...REGISTER_LINES.slice(1)]))
      );
      assert.equal(error.status, 400);
      assert.equal(error.recovered, undefined);
    });
  }

  it("parseMessage() recovers method, Request-URI and headers as written", () => {
    const error = catchSipError(() =>
      parseMessage(rawMessage(registerWith("REGISTER", "REGISTER  sip:example.com SIP/2.0")))
    );
    assert.equal(error.reasonPhrase, "Invalid request line");
    assert.equal(error.recovered?.method, "REGISTER");
    assert.equal(error.recovered.requestUri, "sip:example.com");
    assert.equal(error.recovered.headers.get("CSeq"), "1 REGISTER");
  });

  it("parseMessage() quotes the offending value in its error message", () => {
    const error = catchSipError(() =>
      parseMessage(rawMessage(registerWith("CSeq:", "CSeq: 1 INVITE")))
    );
    assert.equal(error.message, 'CSeq method "INVITE" does not match request method "REGISTER"');
  });

  describe("limits", () => {
    it("parseMessage() answers 513 above maxMessageBytes, with the request recovered", () => {
      const data = rawMessage(
        [...REGISTER_LINES.slice(0, -1), "Content-Length: 2000"],
        "x".repeat(2000),
      );
      assert.equal(parseRequest(data).body.length, 2000);
      const error = catchSipError(() => parseMessage(data, { maxMessageBytes: 1024 }));
      assert.equal(error.status, 513);
      assert.equal(error.reasonPhrase, "Message Too Large");
      assert.equal(error.recovered?.headers.get("Call-ID"), "test@192.0.2.20");
    });

    it("parseMessage() rejects more than maxHeaders fields", () => {
      const lines = [...REGISTER_LINES];
      assert.equal(parseRequest(rawMessage(lines)).headers.size, 8);
      parseMessage(rawMessage(lines), { maxHeaders: 8 });
      const error = catchSipError(() => parseMessage(rawMessage(lines), { maxHeaders: 7 }));
      assert.equal(error.reasonPhrase, "Too many headers");
      assert.equal(error.recovered?.headers.size, 7);
    });

    it("parseMessage() rejects a line longer than maxLineBytes, counting bytes", () => {
      const line = "X-Long: " + "é".repeat(46); // 8 + 92 = 100 bytes
      const data = rawMessage([...REGISTER_LINES.slice(0, -1), line, "Content-Length: 0"]);
      parseMessage(data, { maxLineBytes: 100 });
      const error = catchSipError(() => parseMessage(data, { maxLineBytes: 99 }));
      assert.equal(error.reasonPhrase, "Header line too long");
    });

    it("parseMessage() applies maxLineBytes to each folded line, not the unfolded value", () => {
      const data = rawMessage([
        ...REGISTER_LINES.slice(0, -1),
        "X-Folded: " + "a".repeat(50),
        " " + "b".repeat(50),
        "Content-Length: 0",
      ]);
      assert.equal(parseRequest(data).headers.get("X-Folded")?.length, 101);
      parseMessage(data, { maxLineBytes: 80 });
    });
  });
});

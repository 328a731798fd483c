// Tests for parseSipUri, formatSipUri and sipUriEquals (RFC 3261 §19.1).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatSipUri, parseSipUri, sipUriEquals } from "../../src/sip/sip_uri.ts";
import { catchSipError } from "./_support.ts";

describe("parseSipUri()", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ["sip:alice@atlanta.com", { scheme: "sip", user: "alice", host: "atlanta.com", port: null }],
    ["SIPS:Bob@Biloxi.COM:5061", { scheme: "sips", user: "Bob", host: "biloxi.com", port: 5061 }],
    ["sip:atlanta.com", { user: null, password: null, host: "atlanta.com" }],
    ["sip:alice:secretword@atlanta.com;transport=tcp", { user: "alice", password: "secretword" }],
    ["sip:alice:@atlanta.com", { user: "alice", password: "" }],
    ["sip:+1-212-555-1212:1234@gateway.com;user=phone", {
      user: "+1-212-555-1212",
      password: "1234",
    }],
    ["sip:%61lice@atlanta.com", { user: "alice" }],
    ["sip:user;par=u%40example.net@example.com", { user: "user;par=u@example.net" }],
    ["sip:1_unusual.URI~(to-test!)@example.com:5060", { user: "1_unusual.URI~(to-test!)" }],
    ["sip:null-%00-null@example.com", { user: "null-\u0000-null" }],
    ["sip:%C3%A9t%C3%A9@example.com", { user: "été" }],
    ["sip:[2001:DB8::1]:5070", { host: "[2001:db8::1]", port: 5070 }],
    ["sip:alice@[::ffff:192.0.2.1]", { host: "[::ffff:192.0.2.1]" }],
    ["sip:alice@192.0.2.4", { host: "192.0.2.4" }],
    ["sip:host.example.com.", { host: "host.example.com." }],
  ];
  for (const [text, want] of cases) {
    it(`parseSipUri() reads ${JSON.stringify(text)}`, () => {
      const uri = parseSipUri(text);
      for (const [key, value] of Object.entries(want)) {
        assert.deepEqual((uri as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  it("parseSipUri() lower-cases parameter names, unescapes values and keeps order", () => {
    const uri = parseSipUri("sip:a@b;Transport=TCP;LR;n%61me=v%61lue%25;maddr=239.255.255.1");
    assert.deepEqual([...uri.params], [
      ["transport", "TCP"],
      ["lr", null],
      ["name", "value%"],
      ["maddr", "239.255.255.1"],
    ]);
  });

  it("parseSipUri() reads common parameter names in any case, escaped or not", () => {
    const uri = parseSipUri("Sip:Alice@EXAMPLE.com;TRANSPORT=udp;Lr;oB;tr%61nsport=tcp;USER=phone");
    assert.equal(uri.scheme, "sip");
    assert.equal(uri.user, "Alice");
    assert.equal(uri.host, "example.com");
    assert.deepEqual([...uri.params], [
      ["transport", "udp"],
      ["lr", null],
      ["ob", null],
      ["user", "phone"],
    ]);
  });

  it("parseSipUri() reads URI headers", () => {
    const uri = parseSipUri(
      "sip:biloxi.com;method=REGISTER?to=sip:bob%40biloxi.com&Subject=hi%20there",
    );
    assert.deepEqual([...uri.headers], [["to", "sip:bob@biloxi.com"], ["Subject", "hi there"]]);
  });

  for (
    const text of [
      "tel:+1-201-555-0123",
      "http://example.com/",
      "mailto:a@example.com",
      "urn:uuid:1",
    ]
  ) {
    it(`parseSipUri() rejects the scheme of ${JSON.stringify(text)} with 416`, () => {
      const error = catchSipError(() => parseSipUri(text));
      assert.equal(error.status, 416);
      assert.equal(error.reasonPhrase, "Unsupported URI Scheme");
    });
  }

  const malformed = [
    "",
    "sip",
    "sip:",
    ":alice@example.com",
    "<sip:alice@example.com>",
    "sip:@example.com",
    "sip:alice@",
    "sip:alice@example.com:",
    "sip:alice@example.com:port",
    "sip:alice@example.com:70000",
    "sip:alice@example.com:0000005060",
    "sip:alice@[2001:db8::1",
    "sip:alice@[not-ipv6]",
    "sip:alice@exa mple.com",
    "sip:alice@example.com;",
    "sip:alice@example.com;=x",
    "sip:alice@example.com;a=",
    "sip:alice@example.com;a=b c",
    "sip:alice@example.com?",
    "sip:alice@example.com?novalue",
    "sip:al%zzice@example.com",
    "sip:al%4@example.com",
    "sip:alice@example.com>",
    'sip:"alice"@example.com',
    "sip:ali ce@example.com",
    "sip:alice@.example.com",
    "sip:alice@-example.com",
    "sip:alice@exa..mple.com",
    "sip:alice@example.com..",
    "sip:alice:p%zz@example.com",
    "sip:alice@example.com;x=%4",
    "sip:alice@example.com;%4=x",
    "1sip:alice@example.com",
  ];
  for (const text of malformed) {
    it(`parseSipUri() rejects ${JSON.stringify(text)} with 400`, () => {
      const error = catchSipError(() => parseSipUri(text));
      assert.equal(error.status, 400);
      assert.equal(error.reasonPhrase, "Invalid SIP URI");
      assert.match(error.message, /^Invalid SIP URI "/);
    });
  }
});

describe("formatSipUri()", () => {
  const roundTrips: Array<[string, string]> = [
    ["sip:alice@atlanta.com", "sip:alice@atlanta.com"],
    ["SIP:%61lice@AtLanTa.CoM;Transport=TCP", "sip:alice@atlanta.com;transport=TCP"],
    ["sip:alice:pw@h:5060;lr;maddr=[::1]", "sip:alice:pw@h:5060;lr;maddr=[::1]"],
    ["sip:I%20have%20spaces@example.net", "sip:I%20have%20spaces@example.net"],
    ["sip:user;par=u%40example.net@example.com", "sip:user;par=u%40example.net@example.com"],
    ["sips:[2001:db8::1]:5061", "sips:[2001:db8::1]:5061"],
    ["sip:h?to=sip:bob%40biloxi.com&x=a%26b", "sip:h?to=sip:bob%40biloxi.com&x=a%26b"],
    ["sip:%C3%A9@h;n=%C3%A9", "sip:%C3%A9@h;n=%C3%A9"],
  ];
  for (const [input, output] of roundTrips) {
    it(`formatSipUri() writes ${JSON.stringify(input)} as ${JSON.stringify(output)}`, () => {
      const uri = parseSipUri(input);
      assert.equal(formatSipUri(uri), output);
      assert.ok(sipUriEquals(parseSipUri(formatSipUri(uri)), uri));
    });
  }
});

describe("sipUriEquals()", () => {
  // RFC 3261 §19.1.4: "The URIs within each of the following sets are equivalent".
  const equal: Array<[string, string]> = [
    ["sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com;security=on"],
    ["sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"],
    [
      "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
      "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
    ],
    [
      "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
      "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
    ],
    ["sip:carol@chicago.com", "sip:carol@chicago.com;security=off"],
    ["sip:alice@[2001:DB8::1]", "sip:alice@[2001:db8::1]"],
    ["sip:alice@h;maddr=Example.COM", "sip:alice@h;maddr=example.com"],
  ];
  // RFC 3261 §19.1.4: "The URIs within each of the following sets are not equivalent".
  const unequal: Array<[string, string]> = [
    ["SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"],
    ["sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"],
    ["sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"],
    ["sip:alice@atlanta.com", "sips:alice@atlanta.com"],
    ["sip:atlanta.com", "sip:alice@atlanta.com"],
    ["sip:alice:a@atlanta.com", "sip:alice:A@atlanta.com"],
    ["sip:alice@atlanta.com;user=phone", "sip:alice@atlanta.com"],
    ["sip:alice@atlanta.com;ttl=1", "sip:alice@atlanta.com"],
    ["sip:alice@atlanta.com;method=INVITE", "sip:alice@atlanta.com"],
    ["sip:alice@atlanta.com;maddr=239.1.1.1", "sip:alice@atlanta.com"],
    ["sip:alice@atlanta.com;lr", "sip:alice@atlanta.com;lr=on"],
    ["sip:h?subject=a", "sip:h?subject=b"],
    ["sip:h?subject=a", "sip:h?subject=a&priority=urgent"],
  ];
  for (const [a, b] of equal) {
    it(`sipUriEquals() holds for ${a} and ${b}`, () => {
      assert.equal(sipUriEquals(parseSipUri(a), parseSipUri(b)), true);
      assert.equal(sipUriEquals(parseSipUri(b), parseSipUri(a)), true);
    });
  }
  for (const [a, b] of unequal) {
    it(`sipUriEquals() rejects ${a} and ${b}`, () => {
      assert.equal(sipUriEquals(parseSipUri(a), parseSipUri(b)), false);
      assert.equal(sipUriEquals(parseSipUri(b), parseSipUri(a)), false);
    });
  }
});

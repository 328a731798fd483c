// Tests for parseVia, parseViaList and formatVia (RFC 3261 §20.42, RFC 3581).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SipHeaders } from "../../src/sip/sip_headers.ts";
import { formatVia, parseVia, parseViaList } from "../../src/sip/via.ts";
import { catchSipError } from "./_support.ts";

describe("parseVia()", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ["SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds", {
      protocol: "SIP/2.0",
      transport: "UDP",
      host: "192.0.2.1",
      port: 5060,
      branch: "z9hG4bK776asdhds",
      received: null,
      rport: null,
    }],
    ["sip/2.0/udp pc33.Atlanta.com;branch=z9hG4bKx", {
      protocol: "SIP/2.0",
      transport: "UDP",
      host: "pc33.Atlanta.com",
      port: null,
    }],
    ["SIP / 2.0 / TCP   host.example.com : 5062 ; branch = z9hG4bKa ; rport", {
      transport: "TCP",
      host: "host.example.com",
      port: 5062,
      branch: "z9hG4bKa",
      rport: true,
    }],
    ["SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKv6;received=2001:db8::9:2", {
      host: "[2001:db8::9:1]",
      port: 5070,
      received: "2001:db8::9:2",
    }],
    ["SIP/2.0/UDP 10.0.0.1;rport=40312;received=203.0.113.50;branch=z9hG4bKn", {
      rport: 40312,
      received: "203.0.113.50",
    }],
    ["SIP/2.0/UDP h;maddr=239.128.16.254;ttl=16;branch=z9hG4bKm", { port: null }],
    ["SIP/2.0/UDP h;branch=z9hG4bK-.!%66*_+`'~", { branch: "z9hG4bK-.!%66*_+`'~" }],
    ['SIP/2.0/UDP h;branch=z9hG4bK1;x-comment="a; b"', { branch: "z9hG4bK1" }],
    ["SIP/2.0/UDP h", { branch: null, params: new Map() }],
    // The common tokens in any case, and uncommon ones, are upper-cased alike.
    ["Sip/2.0/Tls h", { protocol: "SIP/2.0", transport: "TLS" }],
    ["sip/3.0/xyz h", { protocol: "SIP/3.0", transport: "XYZ" }],
    ["SIP/2.0/UDP h:65535;RPORT;Received=10.0.0.1", {
      port: 65535,
      rport: true,
      received: "10.0.0.1",
    }],
    ["SIP/2.0/UDP h:00070", { port: 70 }],
  ];
  for (const [text, want] of cases) {
    it(`parseVia() reads ${JSON.stringify(text)}`, () => {
      const via = parseVia(text);
      for (const [key, value] of Object.entries(want)) {
        assert.deepEqual((via as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  it("parseVia() keeps every parameter, names lower-cased, values unquoted", () => {
    const via = parseVia('SIP/2.0/UDP h;Branch=z9hG4bK1;MADDR=x.example;TTL=1;x="a; b";flag');
    assert.deepEqual([...via.params], [
      ["branch", "z9hG4bK1"],
      ["maddr", "x.example"],
      ["ttl", "1"],
      ["x", "a; b"],
      ["flag", null],
    ]);
  });

  it("parseVia() lower-cases names close to the common ones like any other", () => {
    const via = parseVia("SIP/2.0/UDP h;BRANCHES=1;Tags;rPort2=3;TAG=4;Q");
    assert.deepEqual([...via.params], [
      ["branches", "1"],
      ["tags", null],
      ["rport2", "3"],
      ["tag", "4"],
      ["q", null],
    ]);
    assert.equal(via.branch, null);
    assert.equal(via.rport, null);
  });

  const bad = [
    "",
    "SIP/2.0/UDP",
    "SIP/2.0/UDP ",
    "SIP/2.0 192.0.2.1",
    "SIP/2.0/ 192.0.2.1",
    "SIP/2.0/UDP :5060",
    "SIP/2.0/UDP host:",
    "SIP/2.0/UDP host:99999",
    "SIP/2.0/UDP host:65536",
    "SIP/2.0/UDP host:000070",
    "SIP/2.0/UDP host:50a",
    "SIP/2.0/UDP [2001:db8::1",
    "SIP/2.0/UDP [zz]",
    "SIP/2.0/UDP host;branch",
    "SIP/2.0/UDP host;branch=",
    "SIP/2.0/UDP host;received",
    "SIP/2.0/UDP host;received=example.com",
    "SIP/2.0/UDP host;rport=x",
    "SIP/2.0/UDP host;rport=70000",
    "SIP/2.0/UDP host junk",
    "SIP/2.0/UDP host;;branch=z9hG4bK1",
    'SIP/2.0/UDP host;x="open',
  ];
  for (const text of bad) {
    it(`parseVia() rejects ${JSON.stringify(text)}`, () => {
      const error = catchSipError(() => parseVia(text));
      assert.equal(error.status, 400);
      assert.equal(error.reasonPhrase, "Invalid Via header");
      assert.match(error.message, /^Cannot parse Via header "/);
    });
  }
});

describe("parseViaList()", () => {
  it("parseViaList() reads every element of every Via and v field in order", () => {
    const headers = new SipHeaders([
      { name: "Via", value: "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2" },
      { name: "To", value: "<sip:x@y>" },
      { name: "v", value: "SIP/2.0/TCP c;branch=z9hG4bK3" },
    ]);
    assert.deepEqual(parseViaList(headers).map((v) => v.host), ["a", "b", "c"]);
  });

  it("parseViaList() gives an empty list without Via", () => {
    assert.deepEqual(parseViaList(new SipHeaders()), []);
  });
});

describe("formatVia()", () => {
  const cases: Array<[string, string]> = [
    [
      "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776",
      "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776",
    ],
    ["SIP / 2.0 / udp h : 5 ; rport ; branch = z9hG4bK1", "SIP/2.0/UDP h:5;rport;branch=z9hG4bK1"],
    ['SIP/2.0/UDP [::1];x="a; b";branch=z9hG4bK1', 'SIP/2.0/UDP [::1];x="a; b";branch=z9hG4bK1'],
    ["SIP/2.0/UDP h;received=2001:db8::1", "SIP/2.0/UDP h;received=2001:db8::1"],
  ];
  for (const [input, output] of cases) {
    it(`formatVia() writes ${JSON.stringify(input)} as ${JSON.stringify(output)}`, () => {
      assert.equal(formatVia(parseVia(input)), output);
    });
  }

  it("formatVia() writes changed rport and received in place, new ones at the end", () => {
    const via = parseVia("SIP/2.0/UDP 10.0.0.2:5062;rport;branch=z9hG4bK9");
    via.rport = 61000;
    via.received = "203.0.113.9";
    assert.equal(
      formatVia(via),
      "SIP/2.0/UDP 10.0.0.2:5062;rport=61000;branch=z9hG4bK9;received=203.0.113.9",
    );
    via.branch = null;
    via.rport = null;
    assert.equal(formatVia(via), "SIP/2.0/UDP 10.0.0.2:5062;received=203.0.113.9");
  });
});

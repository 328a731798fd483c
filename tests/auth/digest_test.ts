// Digest arithmetic against the worked examples of RFC 2617 §3.5 and RFC 7616 §3.9.1.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { computeHa1, digestResponse } from "../../src/auth/digest.ts";
import { parseCredentials } from "../../src/auth/credentials.ts";

describe("digestResponse()", () => {
  it("matches RFC 2617 §3.5 (MD5, qop=auth)", () => {
    const ha1 = computeHa1("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life");
    assert.equal(ha1, "939e7578ed9e3c518a452acee763bce9");
    assert.equal(
      digestResponse({
        algorithm: "MD5",
        ha1,
        method: "GET",
        uri: "/dir/index.html",
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        qop: "auth",
        nc: "00000001",
        cnonce: "0a4f113b",
      }),
      "6629fae49393a05397450978507c4ef1",
    );
  });

  const rfc7616 = {
    method: "GET",
    uri: "/dir/index.html",
    nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    qop: "auth",
    nc: "00000001",
    cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  };
  for (
    const [algorithm, expected] of [
      ["MD5", "8ca523f5e9506fed4657c9700eebdbec"],
      ["SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"],
    ] as const
  ) {
    it(`matches RFC 7616 §3.9.1 (${algorithm})`, () => {
      const ha1 = computeHa1(algorithm, "Mufasa", "http-auth@example.org", "Circle of Life");
      assert.equal(digestResponse({ algorithm, ha1, ...rfc7616 }), expected);
    });
  }

  it("hashes the UTF-8 bytes of non-ASCII names and passwords", () => {
    // Expected values from Node's createHash(...).update(text, "utf8").
    assert.equal(
      computeHa1("MD5", "J\u00e4s\u00f8n Doe", "office", "p\u00e4ss"),
      "029a3192ebb77116d55512fd9b2283ca",
    );
    assert.equal(
      computeHa1("SHA-256", "J\u00e4s\u00f8n Doe", "office", "p\u00e4ss"),
      "5fb52d3add4e5bcae2c5fcc996a16db2a7eb466d8a53fe5346bae4772cc9cf7b",
    );
  });

  it("computes the RFC 2069 form (no qop) that old phones use", () => {
    const ha1 = computeHa1("MD5", "bob", "office", "pw");
    const withoutQop = digestResponse({
      algorithm: "MD5",
      ha1,
      method: "REGISTER",
      uri: "sip:office",
      nonce: "n",
      qop: null,
      nc: null,
      cnonce: null,
    });
    assert.match(withoutQop, /^[0-9a-f]{32}$/);
    assert.notEqual(
      withoutQop,
      digestResponse({
        algorithm: "MD5",
        ha1,
        method: "REGISTER",
        uri: "sip:office",
        nonce: "n",
        qop: "auth",
        nc: "00000001",
        cnonce: "c",
      }),
    );
  });
});

describe("parseCredentials()", () => {
  it("reads quoted and token values, commas inside quotes, escapes", () => {
    const c = parseCredentials(
      'Digest username="bob", realm="office,test", nonce="a\\"b", uri="sip:office", ' +
        'response="0123", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="x"',
    );
    assert.equal(c.scheme, "Digest");
    assert.equal(c.params.get("realm"), "office,test");
    assert.equal(c.params.get("nonce"), 'a"b');
    assert.equal(c.params.get("algorithm"), "SHA-256");
    assert.equal(c.params.get("nc"), "00000001");
  });

  it("reads empty quoted values and quoted-pairs at either end", () => {
    const c = parseCredentials('Digest opaque="", cnonce="\\\\x\\"",uri="sip:a"');
    assert.equal(c.params.get("opaque"), "");
    assert.equal(c.params.get("cnonce"), '\\x"');
    assert.equal(c.params.get("uri"), "sip:a");
  });

  it("lower-cases names in any case, with whitespace around them, known or not", () => {
    const c = parseCredentials(
      'Digest  USERNAME = "bob" ,Realm= "office",NC=00000001, X-Vendor=Thing, nOnCe="n"',
    );
    assert.deepEqual([...c.params], [
      ["username", "bob"],
      ["realm", "office"],
      ["nc", "00000001"],
      ["x-vendor", "Thing"],
      ["nonce", "n"],
    ]);
  });

  it("takes Unicode spaces as whitespace, as trim() does", () => {
    const c = parseCredentials('Digest\u00a0username="bob", \u00a0realm="office"');
    assert.equal(c.scheme, "Digest");
    assert.equal(c.params.get("username"), "bob");
    assert.equal(c.params.get("realm"), "office");
  });

  for (
    const bad of [
      "Digest",
      'Digest username="bob',
      "Digest username",
      'Digest a="1", a="2"',
      'Digest realm="x", REALM="y"',
      "Digest a,=1",
      'Digest na me="x"',
      'Digest ="x"',
      'Digest nonçe="x"',
    ]
  ) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseCredentials(bad), SyntaxError);
    });
  }
});

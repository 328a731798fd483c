// diagnoseNat(): private contacts behind public sources, port changes, SIP ALG rewriting.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addressScope, diagnoseNat } from "../../src/cli/nat_diagnosis.ts";
import { makeBinding, makeEvent, T0_MS } from "./_cli_harness.ts";

describe("addressScope()", () => {
  it("addressScope() classifies RFC 1918, RFC 6598, link-local, ULA, loopback and public", () => {
    const cases: Array<[string, string]> = [
      ["10.1.2.3", "private"],
      ["172.16.0.1", "private"],
      ["172.31.255.255", "private"],
      ["172.32.0.1", "public"],
      ["192.168.1.20", "private"],
      ["100.64.0.1", "shared"],
      ["100.127.255.1", "shared"],
      ["100.128.0.1", "public"],
      ["169.254.10.1", "link-local"],
      ["127.0.0.1", "loopback"],
      ["203.0.113.5", "public"],
      ["fd00::1", "private"],
      ["[fc12:3456::1]", "private"],
      ["fe80::1", "link-local"],
      ["::1", "loopback"],
      ["2001:db8::1", "public"],
      ["::ffff:192.168.0.1", "private"],
      ["pbx.example.com", "name"],
    ];
    for (const [address, scope] of cases) assert.equal(addressScope(address), scope, address);
  });
});

describe("diagnoseNat()", () => {
  it("diagnoseNat() finds a private Contact behind a public source address", () => {
    const b = makeBinding({
      contactUri: "sip:bob@192.168.1.20:5060",
      sourceAddress: "203.0.113.5",
      sourcePort: 40_211,
    });
    const [finding, ...rest] = diagnoseNat([b], []);
    assert.equal(rest.length, 0);
    assert.equal(finding!.problem, "private-contact");
    assert.match(finding!.message, /192\.168\.1\.20 is private .* 203\.0\.113\.5:40211/);
    assert.match(finding!.fix, /rport .*STUN|STUN/);
  });

  it("diagnoseNat() says nothing for a private Contact seen from a private or loopback source", () => {
    const lan = makeBinding({ contactUri: "sip:bob@192.168.1.20", sourceAddress: "192.168.1.20" });
    const local = makeBinding({ contactUri: "sip:bob@10.0.0.2", sourceAddress: "127.0.0.1" });
    assert.deepEqual(diagnoseNat([lan, local], []), []);
  });

  it("diagnoseNat() finds a source port that changed across refreshes", () => {
    const b = makeBinding({ contactUri: "sip:bob@192.168.1.20", sourceAddress: "10.0.0.9" });
    const history = [
      makeEvent({ kind: "registered", source: "10.0.0.9:40211" }),
      makeEvent({ kind: "refreshed", source: "10.0.0.9:40211", atMs: T0_MS - 1000 }),
      makeEvent({ kind: "refreshed", source: "10.0.0.9:51000", atMs: T0_MS }),
      makeEvent({ kind: "kicked", source: null, bindingId: "b0b001" }),
    ];
    const findings = diagnoseNat([b], history);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.problem, "source-port-changed");
    assert.match(findings[0]!.message, /once .*10\.0\.0\.9:40211 → 10\.0\.0\.9:51000/);
    assert.match(findings[0]!.fix, /UDP timeout/);
  });

  it("diagnoseNat() suspects a SIP ALG when the Contact names the source but another port", () => {
    const b = makeBinding({
      contactUri: "sip:bob@203.0.113.5:5060",
      sourceAddress: "203.0.113.5",
      sourcePort: 1024,
    });
    const [finding] = diagnoseNat([b], []);
    assert.equal(finding!.problem, "sip-alg");
    assert.match(finding!.message, /port 5060, not the source port 1024/);
    assert.match(finding!.fix, /disable the SIP ALG/);
  });

  it("diagnoseNat() suspects a SIP ALG when a public Contact follows private ones", () => {
    const b = makeBinding({
      id: "new001",
      contactUri: "sip:bob@203.0.113.5:5060",
      sourceAddress: "203.0.113.5",
      sourcePort: 5060,
    });
    const history = [
      makeEvent({
        bindingId: "old001",
        contact: "<sip:bob@192.168.1.20>",
        source: "203.0.113.5:5060",
      }),
      makeEvent({
        bindingId: "new001",
        contact: "<sip:bob@203.0.113.5>",
        source: "203.0.113.5:5060",
      }),
    ];
    const findings = diagnoseNat([b], history);
    assert.deepEqual(findings.map((f) => f.problem), ["sip-alg"]);
    assert.match(
      findings[0]!.message,
      /earlier REGISTERs from it carried the private 192\.168\.1\.20/,
    );
  });

  it("diagnoseNat() is quiet for a public phone whose Contact matches its source", () => {
    const b = makeBinding();
    assert.deepEqual(diagnoseNat([b], [makeEvent(), makeEvent({ kind: "refreshed" })]), []);
  });
});

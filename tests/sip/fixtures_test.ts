// Walks every fixture in tests/fixtures/sip and checks it against its hand-written expectation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseContacts } from "../../src/sip/contact.ts";
import { parseOptionTags } from "../../src/sip/header_values.ts";
import { parseNameAddr, tagOf } from "../../src/sip/name_addr.ts";
import { parseMessage } from "../../src/sip/parse_message.ts";
import { parseSipUri } from "../../src/sip/sip_uri.ts";
import { parseViaList } from "../../src/sip/via.ts";
import { catchSipError, FIXTURE_DIR, fixtureNames, readFixture } from "./_support.ts";

interface ContactExpectation {
  uriText: string;
  expires: number | null;
  q: number | null;
  instance: string | null;
  regId: number | null;
  displayName?: string | null;
  uriUser?: string;
  uriHost?: string;
  uriParams?: Record<string, string | null>;
}

interface Expectation {
  ok: boolean;
  // Failures
  status?: number;
  reasonPhrase?: string;
  recovered?: boolean;
  // Successes
  type?: "request" | "response";
  method?: string;
  requestUri?: string;
  requestUriUser?: string;
  requestUriHost?: string;
  reason?: string;
  callId?: string;
  headers?: number;
  bodyLength?: number;
  body?: string;
  vias?: number;
  contacts?: number;
  wildcard?: boolean;
  fromTag?: string;
  toTag?: string | null;
  fromDisplayName?: string;
  toDisplayName?: string;
  values?: Record<string, string>;
  supported?: string[];
  require?: string[];
  topVia?: Record<string, unknown>;
  contactDetails?: ContactExpectation[];
  contactsError?: { status: number; reasonPhrase: string };
}

const expected = JSON.parse(readFileSync(FIXTURE_DIR + "expected.json", "utf8")) as Record<
  string,
  Expectation
>;
const names = fixtureNames();

describe("SIP fixtures", () => {
  it("every fixture file has an entry in expected.json and every entry a file", () => {
    assert.deepEqual(names.filter((n) => !(n in expected)), []);
    assert.deepEqual(Object.keys(expected).filter((n) => !names.includes(n)), []);
    assert.ok(names.filter((n) => n.startsWith("valid/")).length >= 20);
    assert.ok(names.filter((n) => n.startsWith("invalid/")).length >= 30);
  });

  for (const name of names) {
    const want = expected[name];
    if (want === undefined) continue;
    if (want.ok) {
      it(`parseMessage() accepts ${name}`, () => checkValid(name, want));
    } else {
      it(`parseMessage() rejects ${name} with ${want.status} "${want.reasonPhrase}"`, () => {
        checkInvalid(name, want);
      });
    }
  }
});

function checkInvalid(name: string, want: Expectation): void {
  assert.ok(name.startsWith("invalid/"), "failures belong in invalid/");
  const error = catchSipError(() => parseMessage(readFixture(name)));
  assert.equal(error.status, want.status);
  assert.equal(error.reasonPhrase, want.reasonPhrase);
  assert.equal(error.recovered !== undefined, want.recovered, "recovered");
}

function checkValid(name: string, want: Expectation): void {
  assert.ok(name.startsWith("valid/"), "successes belong in valid/");
  const message = parseMessage(readFixture(name));
  assert.equal(message.type, want.type);
  if (message.type === "request") {
    assert.equal(message.method, want.method);
    assert.equal(message.requestUri, want.requestUri);
    const uri = parseSipUri(message.requestUri);
    if (want.requestUriUser !== undefined) assert.equal(uri.user, want.requestUriUser);
    if (want.requestUriHost !== undefined) assert.equal(uri.host, want.requestUriHost);
  } else {
    assert.equal(message.status, want.status);
    assert.equal(message.reason, want.reason);
  }
  const h = message.headers;
  if (want.callId !== undefined) assert.equal(h.get("Call-ID"), want.callId);
  if (want.headers !== undefined) assert.equal(h.size, want.headers, "header field count");
  if (want.bodyLength !== undefined) assert.equal(message.body.length, want.bodyLength);
  if (want.body !== undefined) assert.equal(new TextDecoder().decode(message.body), want.body);
  for (const [header, value] of Object.entries(want.values ?? {})) {
    assert.equal(h.get(header), value, `value of ${header}`);
  }

  const vias = parseViaList(h);
  if (want.vias !== undefined) assert.equal(vias.length, want.vias);
  if (want.topVia !== undefined) {
    const top = vias[0]!;
    for (const [key, value] of Object.entries(want.topVia)) {
      assert.deepEqual((top as unknown as Record<string, unknown>)[key], value, `top Via ${key}`);
    }
  }

  const from = parseNameAddr(h.get("From")!);
  const to = parseNameAddr(h.get("To")!);
  if (want.fromTag !== undefined) assert.equal(tagOf(h.get("From")!), want.fromTag);
  if (want.toTag !== undefined) assert.equal(tagOf(h.get("To")!), want.toTag);
  if (want.fromDisplayName !== undefined) assert.equal(from.displayName, want.fromDisplayName);
  if (want.toDisplayName !== undefined) assert.equal(to.displayName, want.toDisplayName);
  if (want.supported !== undefined) {
    assert.deepEqual(parseOptionTags(h, "Supported"), want.supported);
  }
  if (want.require !== undefined) assert.deepEqual(parseOptionTags(h, "Require"), want.require);

  if (want.contactsError !== undefined) {
    const error = catchSipError(() => parseContacts(h));
    assert.equal(error.status, want.contactsError.status);
    assert.equal(error.reasonPhrase, want.contactsError.reasonPhrase);
    return;
  }
  const { wildcard, contacts } = parseContacts(h);
  assert.equal(wildcard, want.wildcard ?? false);
  if (want.contacts !== undefined) assert.equal(contacts.length, want.contacts);
  want.contactDetails?.forEach((c, k) => {
    const got = contacts[k]!;
    assert.equal(got.uriText, c.uriText);
    assert.equal(got.expires, c.expires);
    assert.equal(got.q, c.q);
    assert.equal(got.instance, c.instance);
    assert.equal(got.regId, c.regId);
    if (c.displayName !== undefined) assert.equal(got.displayName, c.displayName);
    if (c.uriUser !== undefined) assert.equal(got.uri.user, c.uriUser);
    if (c.uriHost !== undefined) assert.equal(got.uri.host, c.uriHost);
    if (c.uriParams !== undefined) {
      assert.deepEqual(Object.fromEntries(got.uri.params), c.uriParams);
    }
  });
}

// `registrar list` in-process: the 80-column table, filters, colour, and the JSON shape.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { formatTable } from "../../src/cli/render.ts";
import { cli, makeBinding, seed, T0_MS, tempDir } from "./_cli_harness.ts";

const ESC = "\u001b";

describe("registrar list", () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await seed(dir, [
      makeBinding(),
      makeBinding({
        id: "b0b002",
        contact: "<sip:bob-desk-phone-with-a-long-user@[2001:db8:ffff:1234::20]:5062>",
        contactUri: "sip:bob-desk-phone-with-a-long-user@[2001:db8:ffff:1234::20]:5062",
        sourceAddress: "2001:db8:ffff:1234::20",
        sourcePort: 40_211,
        userAgent: null,
        refreshedAtMs: T0_MS - 5_000,
        expiresAtMs: T0_MS + 3_595_000,
      }),
      makeBinding({
        id: "a11ce1",
        aor: "sip:alice-with-a-remarkably-long-name@branch-office.example.com",
        contactUri: "sip:alice@203.0.113.9:5060",
        expiresAtMs: T0_MS - 60_000,
      }),
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("list prints an aligned table of live bindings that fits 80 columns", async () => {
    const t = await cli(["list", "--data", dir]);
    assert.equal(t.code, 0, t.err);
    const lines = t.out.trimEnd().split("\n");
    assert.equal(lines.length, 3, "header + bob's two live bindings; alice's expired one hidden");
    assert.match(
      lines[0]!,
      /^ID +USER +CONTACT +SOURCE +TP +UA +EXPIRES +REFRESHED$/,
    );
    for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`);
    assert.equal(lines[0]!.length, 80, "the long contact makes the table use every column");
    assert.equal(
      lines[1],
      "b0b001  bob   bob@198.51.…  198.51.100.20:5060    udp  Yeal…  30m00s   30m ago",
    );
    assert.equal(
      lines[2],
      "b0b002  bob   bob-desk-ph…  [2001:db8:ffff:1234…  udp  -      59m55s   5s ago",
    );
    // Columns line up: every row starts its AOR where the header does.
    const col = lines[0]!.indexOf("USER");
    for (const line of lines.slice(1)) assert.equal(line.slice(col, col + 3), "bob");
    assert.ok(!t.out.includes(ESC), "no colour when stdout is not a terminal");
  });

  it("list shows short values whole, and only the user when all share one domain", async () => {
    const small = tempDir();
    try {
      await seed(small, [
        makeBinding({
          aor: "sip:bo@o.test",
          contactUri: "sip:bo@10.0.0.5",
          sourceAddress: "203.0.113.5",
          userAgent: "Zoiper 5",
        }),
      ]);
      const t = await cli(["list", "--data", small]);
      assert.equal(
        t.out,
        "ID      USER  CONTACT      SOURCE            TP   UA        EXPIRES  REFRESHED\n" +
          "b0b001  bo    bo@10.0.0.5  203.0.113.5:5060  udp  Zoiper 5  30m00s   30m ago\n",
      );
    } finally {
      rmSync(small, { recursive: true, force: true });
    }
  });

  it("list --expired shows expired-but-not-purged bindings; filters by user and domain", async () => {
    const expired = await cli(["list", "--expired", "--data", dir]);
    assert.match(expired.out, /a11ce1 .* expired /);
    const user = await cli([
      "list",
      "--expired",
      "--user",
      "alice-with-a-remarkably-long-name",
      "--data",
      dir,
    ]);
    assert.equal(user.out.trimEnd().split("\n").length, 2);
    const full = await cli(["list", "--user", "bob@OFFICE.test", "--json", "--data", dir]);
    assert.equal(JSON.parse(full.out).length, 2);
    const domain = await cli(["list", "--domain", "nowhere.test", "--data", dir]);
    assert.equal(domain.out, "No bindings.\n");
  });

  it("list --json keeps its stable field names, ISO times and seconds", async () => {
    const t = await cli(["list", "--json", "--data", dir]);
    const [first] = JSON.parse(t.out);
    assert.deepEqual(first, {
      id: "b0b001",
      aor: "sip:bob@office.test",
      contact: "<sip:bob@198.51.100.20:5060>",
      contactUri: "sip:bob@198.51.100.20:5060",
      q: null,
      callId: "call-bob@phone",
      cseq: 7,
      expiresSeconds: 3600,
      expiresInSeconds: 1800,
      expiresAt: "2023-11-14T22:43:20.000Z",
      registeredAt: "2023-11-14T21:13:20.000Z",
      refreshedAt: "2023-11-14T21:43:20.000Z",
      source: { address: "198.51.100.20", port: 5060, transport: "udp" },
      userAgent: "Yealink SIP-T46S 66.86.0.15",
      path: null,
      instance: null,
      regId: null,
      expired: false,
    });
  });

  it("list colours only on a terminal without NO_COLOR", async () => {
    const tty = await cli(["list", "--data", dir], { stdoutIsTty: true });
    assert.ok(tty.out.startsWith(`${ESC}[1mID`));
    const noColour = await cli(["list", "--data", dir], {
      stdoutIsTty: true,
      env: { NO_COLOR: "1" },
    });
    assert.ok(!noColour.out.includes(ESC));
  });

  it("formatTable() shrinks the widest shrinkable column first and never below its minimum", () => {
    const table = formatTable(["A", "B", "C"], [["x".repeat(50), "y".repeat(40), "z"]], {
      maxWidth: 40,
      shrink: { 0: 10, 1: 20 },
    });
    const [, row] = table.split("\n");
    assert.equal(row!.length, 40);
    assert.equal(row, `${"x".repeat(14)}…  ${"y".repeat(19)}…  z`);
  });
});

// openUdpTransport(): binds, receives, answers, closes; parseListenAddress() reads --listen.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { openUdpTransport, parseListenAddress } from "../../src/transport/udp_transport.ts";
import type { DatagramTransport, Remote } from "../../src/transport/udp_transport.ts";
import { expectedReceiveBuffer } from "../_support/receive_buffer.ts";

/** Opens a transport that answers every datagram with "echo:" + its text, to its source. */
async function openEcho(): Promise<DatagramTransport> {
  return await openUdpTransport(
    { address: "127.0.0.1", port: 0 },
    (data: Uint8Array, remote: Remote, transport: DatagramTransport) => {
      const text = new TextDecoder().decode(data);
      transport.send(
        new TextEncoder().encode(`echo:${text}:${remote.address}`),
        remote.address,
        remote.port,
      );
    },
    () => {},
  );
}

/** Sends `text` from a fresh 127.0.0.1 socket and waits (at most 2 s) for one answer. */
function roundTrip(port: number, text: string): Promise<string> {
  const client = dgram.createSocket("udp4");
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer within 2 s")), 2000);
    client.on("message", (data) => {
      clearTimeout(timer);
      resolve(data.toString("utf8"));
    });
    client.bind(0, "127.0.0.1", () => client.send(text, port, "127.0.0.1"));
  }).finally(() => client.close());
}

describe("openUdpTransport()", () => {
  it("openUdpTransport() binds port 0, receives and answers", async () => {
    const transport = await openEcho();
    try {
      assert.equal(transport.protocol, "udp");
      assert.equal(transport.local.address, "127.0.0.1");
      assert.ok(transport.local.port > 0);
      assert.equal(await roundTrip(transport.local.port, "ping"), "echo:ping:127.0.0.1");
      // node:dgram's recvBufferSize, as the kernel reports it (no native socket passed here).
      const expected = expectedReceiveBuffer();
      if (expected !== null) assert.equal(transport.receiveBufferBytes, expected);
      else assert.ok((transport.receiveBufferBytes ?? 0) > 0);
    } finally {
      await transport.close();
    }
    await transport.close(); // twice is harmless
    transport.send(new Uint8Array([1]), "127.0.0.1", 9); // after close: ignored, never throws
  });

  it("openUdpTransport() reports a taken port as one readable error", async () => {
    const first = await openEcho();
    try {
      await assert.rejects(
        openUdpTransport({ address: "127.0.0.1", port: first.local.port }, () => {}, () => {}),
        /Cannot listen on UDP 127\.0\.0\.1:\d+/,
      );
    } finally {
      await first.close();
    }
  });
});

describe("parseListenAddress()", () => {
  const cases: Array<[string, Remote]> = [
    ["127.0.0.1:5070", { address: "127.0.0.1", port: 5070 }],
    ["0.0.0.0", { address: "0.0.0.0", port: 5060 }],
    [":5080", { address: "0.0.0.0", port: 5080 }],
    ["[::1]:5062", { address: "::1", port: 5062 }],
    ["::", { address: "::", port: 5060 }],
    ["localhost:5060", { address: "127.0.0.1", port: 5060 }],
  ];
  for (const [text, expected] of cases) {
    it(`reads "${text}"`, () => assert.deepEqual(parseListenAddress(text), expected));
  }
  for (const bad of ["1.2.3.4:99999", "1.2.3.4:", "office:5060", "[::1]:x"]) {
    it(`rejects "${bad}"`, () => assert.throws(() => parseListenAddress(bad), /Invalid listen/));
  }
});

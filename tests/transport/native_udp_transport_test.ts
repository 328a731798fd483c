// openNativeUdpTransport(): Bun's native UDP path, with a fake socket (both runtimes) and for real (Bun).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import {
  MAX_HELD_DATAGRAMS,
  type NativeUdp,
  type NativeUdpOpen,
  type NativeUdpOptions,
  type NativeUdpSocket,
  openNativeUdpTransport,
} from "../../src/transport/native_udp_transport.ts";
import { processContext } from "../../src/runtime.ts";
import { expectedReceiveBuffer } from "../_support/receive_buffer.ts";
import { openUdpTransport, UDP_RECEIVE_BUFFER_BYTES } from "../../src/transport/udp_transport.ts";
import type { DatagramTransport, Remote } from "../../src/transport/udp_transport.ts";

/** A socket that records what it sends; `full` makes send report a full kernel buffer. */
class FakeSocket implements NativeUdpSocket {
  readonly port = 5060;
  readonly hostname = "127.0.0.1";
  readonly fd = 42;
  sent: string[] = [];
  full = false;
  closed = 0;
  throwFor: string | null = null;
  constructor(readonly options: NativeUdpOptions) {}
  send(data: Uint8Array, port: number, address: string): boolean {
    if (address === this.throwFor) throw new Error("EACCES: permission denied, send");
    if (this.full) return false;
    this.sent.push(`${new TextDecoder().decode(data)}>${address}:${port}`);
    return true;
  }
  close(): void {
    this.closed++;
  }
  /** The kernel made room: the runtime calls drain. */
  drain(): void {
    this.full = false;
    this.options.socket.drain(this);
  }
}

function fakeOpen(): { open: NativeUdpOpen; native: NativeUdp; socket: () => FakeSocket } {
  let made: FakeSocket | undefined;
  const open: NativeUdpOpen = (options) => {
    made = new FakeSocket(options);
    return Promise.resolve(made);
  };
  return { open, native: { open }, socket: () => made! };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const LISTEN: Remote = { address: "127.0.0.1", port: 5060 };

/** A transport on a fake socket, with the errors it reported. */
async function openOnFake() {
  const fake = fakeOpen();
  const errors: string[] = [];
  const transport = await openNativeUdpTransport(
    fake.native,
    LISTEN,
    () => {},
    (e) => errors.push(e.message),
  );
  return { transport, socket: fake.socket(), errors };
}

describe("openNativeUdpTransport()", () => {
  it("openNativeUdpTransport() binds the listen address and hands datagrams up with their source", async () => {
    const fake = fakeOpen();
    const received: Array<[string, Remote, DatagramTransport]> = [];
    const transport = await openNativeUdpTransport(fake.native, LISTEN, (data, remote, t) => {
      received.push([new TextDecoder().decode(data), remote, t]);
    }, () => {});
    const socket = fake.socket();
    assert.equal(socket.options.hostname, "127.0.0.1");
    assert.equal(socket.options.port, 5060);
    assert.equal(transport.protocol, "udp");
    assert.deepEqual(transport.local, { address: "127.0.0.1", port: 5060 });
    socket.options.socket.data(socket, bytes("REGISTER"), 5062, "10.0.0.2");
    assert.deepEqual(received, [["REGISTER", { address: "10.0.0.2", port: 5062 }, transport]]);
    await transport.close();
    await transport.close();
    assert.equal(socket.closed, 1);
    socket.options.socket.data(socket, bytes("late"), 5062, "10.0.0.2");
    transport.send(bytes("after"), "10.0.0.2", 5062);
    assert.equal(received.length, 1, "nothing is handed up after close");
    assert.deepEqual(socket.sent, [], "nothing is sent after close");
  });

  it("openNativeUdpTransport() holds datagrams while the send buffer is full and sends them in order at the drain", async () => {
    const { transport, socket } = await openOnFake();
    transport.send(bytes("a"), "10.0.0.2", 5060);
    socket.full = true;
    transport.send(bytes("b"), "10.0.0.2", 5060);
    socket.full = false;
    // The kernel has room again, but "c" must not overtake the held "b".
    transport.send(bytes("c"), "10.0.0.3", 5070);
    assert.deepEqual(socket.sent, ["a>10.0.0.2:5060"]);
    socket.drain();
    assert.deepEqual(socket.sent, ["a>10.0.0.2:5060", "b>10.0.0.2:5060", "c>10.0.0.3:5070"]);
    transport.send(bytes("d"), "10.0.0.2", 5060);
    assert.equal(socket.sent.at(-1), "d>10.0.0.2:5060");
  });

  it("openNativeUdpTransport() keeps what a drain could not send, ahead of later datagrams", async () => {
    const { transport, socket } = await openOnFake();
    socket.full = true;
    for (const text of ["a", "b", "c"]) transport.send(bytes(text), "10.0.0.2", 5060);
    // Room for one datagram only: the drain sends "a" and stops at "b".
    let room = 1;
    const send = socket.send.bind(socket);
    socket.send = (data, port, address) => room-- > 0 && send(data, port, address);
    socket.full = false;
    socket.options.socket.drain(socket);
    transport.send(bytes("d"), "10.0.0.2", 5060);
    socket.send = send;
    socket.drain();
    assert.deepEqual(socket.sent.map((s) => s[0]), ["a", "b", "c", "d"]);
  });

  it("openNativeUdpTransport() drops datagrams beyond MAX_HELD_DATAGRAMS and says so once", async () => {
    const { transport, socket, errors } = await openOnFake();
    socket.full = true;
    for (let i = 0; i < MAX_HELD_DATAGRAMS + 10; i++) transport.send(bytes(`${i}`), "10.0.0.2", 1);
    assert.deepEqual(errors, [
      `Send buffer full: dropping datagrams beyond ${MAX_HELD_DATAGRAMS} held`,
    ]);
    socket.drain();
    assert.equal(socket.sent.length, MAX_HELD_DATAGRAMS);
    assert.equal(socket.sent.at(-1), `${MAX_HELD_DATAGRAMS - 1}>10.0.0.2:1`);
  });

  it("openNativeUdpTransport() reports a send the kernel refuses instead of throwing", async () => {
    const { transport, socket, errors } = await openOnFake();
    socket.throwFor = "255.255.255.255";
    transport.send(bytes("x"), "255.255.255.255", 9);
    transport.send(bytes("y"), "10.0.0.2", 9);
    assert.deepEqual(errors, ["Cannot send to 255.255.255.255:9: EACCES: permission denied, send"]);
    assert.deepEqual(socket.sent, ["y>10.0.0.2:9"], "a refused datagram is not held");
  });

  it("openNativeUdpTransport() resolves a host name destination (a Via maddr) before sending", async () => {
    const { transport, socket, errors } = await openOnFake();
    transport.send(bytes("x"), "localhost", 5070);
    transport.send(bytes("y"), "no-such-host.invalid", 5070);
    const deadline = Date.now() + 5000;
    while ((socket.sent.length === 0 || errors.length === 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(socket.sent, ["x>127.0.0.1:5070"]);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^Cannot resolve no-such-host\.invalid: /);
  });

  it("openNativeUdpTransport() hands up a datagram that arrives before the bind has resolved", async () => {
    const received: Array<[string, DatagramTransport]> = [];
    const open: NativeUdpOpen = (options) => {
      const socket = new FakeSocket(options);
      options.socket.data(socket, bytes("early"), 5062, "10.0.0.2");
      return Promise.resolve(socket);
    };
    const transport = await openNativeUdpTransport({ open }, LISTEN, (data, _remote, t) => {
      received.push([new TextDecoder().decode(data), t]);
    }, () => {});
    assert.deepEqual(received, [["early", transport]]);
  });

  it("openNativeUdpTransport() reports a failed bind as one readable error", async () => {
    const open: NativeUdpOpen = () => Promise.reject(new Error("bind EADDRINUSE 127.0.0.1"));
    await assert.rejects(
      openNativeUdpTransport({ open }, LISTEN, () => {}, () => {}),
      { message: "Cannot listen on UDP 127.0.0.1:5060: bind EADDRINUSE 127.0.0.1" },
    );
  });

  it("openNativeUdpTransport() passes socket errors to onError", async () => {
    const { socket, errors } = await openOnFake();
    socket.options.socket.error(socket, new Error("ECONNREFUSED"));
    assert.deepEqual(errors, ["ECONNREFUSED"]);
  });

  it("openNativeUdpTransport() asks for the receive buffer on the socket's fd and reports what was granted", async () => {
    const fake = fakeOpen();
    const asked: Array<[number, number]> = [];
    const native: NativeUdp = {
      open: fake.open,
      setReceiveBuffer: (fd, bytes) => {
        asked.push([fd, bytes]);
        return 2 * bytes;
      },
    };
    const transport = await openNativeUdpTransport(native, LISTEN, () => {}, () => {}, 65536);
    assert.deepEqual(asked, [[42, 65536]]);
    assert.equal(transport.receiveBufferBytes, 131072);
    const untouched = await openNativeUdpTransport(native, LISTEN, () => {}, () => {});
    assert.equal(asked.length, 1, "no size asked: the buffer is left alone");
    assert.equal(untouched.receiveBufferBytes, null);
    const unable = await openNativeUdpTransport(fake.native, LISTEN, () => {}, () => {}, 65536);
    assert.equal(unable.receiveBufferBytes, null, "a runtime that cannot set it reports null");
  });

  it("openNativeUdpTransport() reports a receive buffer it cannot set and serves all the same", async () => {
    const fake = fakeOpen();
    const errors: string[] = [];
    const native: NativeUdp = {
      open: fake.open,
      setReceiveBuffer: () => {
        throw new Error("libc.so.6: cannot open shared object file");
      },
    };
    const transport = await openNativeUdpTransport(
      native,
      LISTEN,
      () => {},
      (e) => errors.push(e.message),
      65536,
    );
    assert.deepEqual(errors, [
      "Cannot set the UDP receive buffer: libc.so.6: cannot open shared object file",
    ]);
    assert.equal(transport.receiveBufferBytes, null);
    transport.send(bytes("x"), "10.0.0.2", 5060);
    assert.deepEqual(fake.socket().sent, ["x>10.0.0.2:5060"]);
  });
});

describe("openUdpTransport() with a native socket", () => {
  it("openUdpTransport() binds IPv4 through the native socket, asking for UDP_RECEIVE_BUFFER_BYTES", async () => {
    const fake = fakeOpen();
    const asked: number[] = [];
    const native: NativeUdp = {
      open: fake.open,
      setReceiveBuffer: (_fd, size) => (asked.push(size), size),
    };
    const transport = await openUdpTransport(LISTEN, () => {}, () => {}, native);
    transport.send(bytes("x"), "10.0.0.2", 5060);
    assert.deepEqual(fake.socket().sent, ["x>10.0.0.2:5060"]);
    assert.deepEqual(asked, [UDP_RECEIVE_BUFFER_BYTES]);
    await transport.close();
  });

  it("openUdpTransport() binds IPv6 through node:dgram even with a native socket", async (t) => {
    const fake = fakeOpen();
    let transport: DatagramTransport;
    try {
      transport = await openUdpTransport(
        { address: "::1", port: 0 },
        () => {},
        () => {},
        fake.native,
      );
    } catch (error) {
      // A machine without IPv6 loopback cannot run this test.
      t.skip(`no IPv6 loopback: ${(error as Error).message}`);
      return;
    }
    assert.equal(fake.socket(), undefined, "the native socket was not opened");
    assert.equal(transport.local.address, "::1");
    await transport.close();
  });

  // The real thing, where the runtime has it.
  const real = processContext().nativeUdp;
  it("Bun.udpSocket: receives, answers, reports a taken port and closes", {
    skip: real === undefined ? "Bun only" : false,
  }, async () => {
    const native = real!;
    const transport = await openUdpTransport(
      { address: "127.0.0.1", port: 0 },
      (data, remote, t) => {
        t.send(
          bytes(`echo:${new TextDecoder().decode(data)}:${remote.address}`),
          remote.address,
          remote.port,
        );
      },
      () => {},
      native,
    );
    try {
      assert.equal(transport.local.address, "127.0.0.1");
      assert.ok(transport.local.port > 0);
      // Set through bun:ffi's setsockopt, read back with getsockopt.
      assert.equal(transport.receiveBufferBytes, expectedReceiveBuffer());
      const client = dgram.createSocket("udp4");
      const answer = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no answer within 2 s")), 2000);
        client.on("message", (data) => {
          clearTimeout(timer);
          resolve(data.toString("utf8"));
        });
        client.bind(0, "127.0.0.1", () => client.send("ping", transport.local.port, "127.0.0.1"));
      }).finally(() => client.close());
      assert.equal(answer, "echo:ping:127.0.0.1");
      await assert.rejects(
        openUdpTransport(transport.local, () => {}, () => {}, native),
        /^Error: Cannot listen on UDP 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      );
    } finally {
      await transport.close();
    }
    await transport.close();
    transport.send(bytes("x"), "127.0.0.1", 9); // after close: ignored, never throws
  });
});

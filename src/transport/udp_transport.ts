// UdpTransport: one bound UDP socket (IPv4 or IPv6) that hands datagrams up and sends bytes out.
import dgram from "node:dgram";
import { isIP } from "node:net";
import { type NativeUdp, openNativeUdpTransport } from "./native_udp_transport.ts";

/** The sender of a datagram as the socket saw it. */
export interface Remote {
  address: string;
  port: number;
}

/** A datagram transport, as the server needs it; knows nothing about SIP. */
export interface DatagramTransport {
  /** "udp". */
  readonly protocol: string;
  /** The address and port actually bound (port 0 resolves to the real one). */
  readonly local: Remote;
  /**
   * The socket's receive buffer as the kernel reports it (Linux reports twice what was asked, the
   * rest being its bookkeeping), or null where it cannot be read.
   */
  readonly receiveBufferBytes: number | null;
  send(data: Uint8Array, address: string, port: number): void;
  close(): Promise<void>;
}

/**
 * The receive buffer asked for every socket. A single-threaded server stops reading while it
 * waits for a commit's fsync or a garbage collection; at 20,000 requests/s a 10 ms pause is 200
 * datagrams, more than the usual 208 KiB default holds, and the kernel drops the rest (phones
 * retransmit after T1 = 500 ms, RFC 3261 §17.1.2.2). 2 MiB holds about 100 ms of such a burst.
 * The kernel caps it at net.core.rmem_max.
 */
export const UDP_RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024;

/** `HOST:PORT`, `[V6]:PORT`, `HOST` or `:PORT`, parsed for `--listen`. */
export function parseListenAddress(text: string, defaultPort = 5060): Remote {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let address: string;
  let portText: string | undefined;
  if (bracket) {
    address = bracket[1]!;
    portText = bracket[2];
  } else if (isIP(text) === 6) {
    address = text;
  } else {
    const colon = text.lastIndexOf(":");
    address = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  if (address === "") address = "0.0.0.0";
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || portText === "") {
    throw new Error(`Invalid listen address "${text}": expected HOST:PORT with a port 0-65535`);
  }
  if (isIP(address) === 0 && address !== "localhost") {
    throw new Error(`Invalid listen address "${text}": expected an IPv4 or IPv6 address`);
  }
  return { address: address === "localhost" ? "127.0.0.1" : address, port };
}

/**
 * Binds a UDP socket and calls `onDatagram` for every datagram. Send errors (an unreachable
 * peer) are reported to `onError` and never thrown: one bad peer must not stop the server.
 * With `native` (Bun's `Bun.udpSocket`, found by `runtime.ts`) an IPv4 address is bound through
 * it (see `openNativeUdpTransport`); IPv6, and every address without it, through node:dgram.
 * Every socket asks for a receive buffer of UDP_RECEIVE_BUFFER_BYTES.
 */
export function openUdpTransport(
  listen: Remote,
  onDatagram: (data: Uint8Array, remote: Remote, transport: DatagramTransport) => void,
  onError: (error: Error) => void,
  native?: NativeUdp,
): Promise<DatagramTransport> {
  if (native !== undefined && isIP(listen.address) === 4) {
    return openNativeUdpTransport(native, listen, onDatagram, onError, UDP_RECEIVE_BUFFER_BYTES);
  }
  const type = isIP(listen.address) === 6 ? "udp6" : "udp4";
  const socket = dgram.createSocket({
    type,
    reuseAddr: false,
    ipv6Only: type === "udp6",
    recvBufferSize: UDP_RECEIVE_BUFFER_BYTES,
  });
  return new Promise((resolve, reject) => {
    const failStart = (error: Error) => {
      reject(
        new Error(
          `Cannot listen on UDP ${formatAddress(listen)}: ${error.message}`,
        ),
      );
    };
    socket.once("error", failStart);
    socket.bind(listen.port, listen.address, () => {
      socket.off("error", failStart);
      socket.on("error", onError);
      const bound = socket.address();
      let closed = false;
      const transport: DatagramTransport = {
        protocol: "udp",
        local: { address: bound.address, port: bound.port },
        receiveBufferBytes: receiveBufferOf(socket),
        send(data, address, port) {
          if (closed) return;
          socket.send(data, port, address, (error) => {
            if (error) onError(error);
          });
        },
        close() {
          if (closed) return Promise.resolve();
          closed = true;
          return new Promise((done) => socket.close(() => done()));
        },
      };
      socket.on("message", (data, rinfo) => {
        onDatagram(data, { address: rinfo.address, port: rinfo.port }, transport);
      });
      resolve(transport);
    });
  });
}

function receiveBufferOf(socket: dgram.Socket): number | null {
  try {
    return socket.getRecvBufferSize();
  } catch {
    return null;
  }
}

/** `1.2.3.4:5060` or `[::1]:5060`. */
export function formatAddress(remote: Remote): string {
  return isIP(remote.address) === 6
    ? `[${remote.address}]:${remote.port}`
    : `${remote.address}:${remote.port}`;
}

// openNativeUdpTransport: DatagramTransport over Bun's native UDP socket (Bun.udpSocket), IPv4.
import { lookup } from "node:dns";
import { isIP } from "node:net";
import type { DatagramTransport, Remote } from "./udp_transport.ts";

/** The socket `NativeUdpOpen` resolves with: the part of Bun's `udp.Socket` used here. */
export interface NativeUdpSocket {
  readonly port: number;
  readonly hostname: string;
  /** The socket's file descriptor (for `NativeUdp.setReceiveBuffer`). */
  readonly fd: number;
  /** False when the kernel's send buffer is full: the datagram was not sent. Throws on a bad peer. */
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
}

/** What `Bun.udpSocket` takes; `runtime.ts` hands the real one in (tests pass a fake). */
export interface NativeUdpOptions {
  hostname: string;
  port: number;
  socket: {
    data(socket: NativeUdpSocket, data: Uint8Array, port: number, address: string): void;
    drain(socket: NativeUdpSocket): void;
    error(socket: NativeUdpSocket, error: Error): void;
  };
}

/** `Bun.udpSocket`, bound to its receiver. */
export type NativeUdpOpen = (options: NativeUdpOptions) => Promise<NativeUdpSocket>;

/** What the runtime offers for the native path (`runtime.ts` builds it; tests pass fakes). */
export interface NativeUdp {
  open: NativeUdpOpen;
  /**
   * Sets a socket's receive buffer (SO_RCVBUF), which `Bun.udpSocket` has no option for; returns
   * the size the kernel then reports, or null when it could not be set. Absent: left as it is.
   */
  setReceiveBuffer?: (fd: number, bytes: number) => number | null;
}

/** Datagrams held while the kernel's send buffer is full; beyond this they are dropped. */
export const MAX_HELD_DATAGRAMS = 4096;

/**
 * Binds an IPv4 socket with Bun's native UDP API, which skips what Bun's node:dgram layer adds to
 * every datagram (an event emit, an rinfo object, a send callback): ≈ 2.5 µs per datagram in the
 * benchmark's echo test. Same contract as `openUdpTransport`: send errors go to `onError` and are
 * never thrown; a host name as destination (a Via maddr) is resolved first. A datagram the kernel
 * cannot take yet (send buffer full) is held, up to MAX_HELD_DATAGRAMS, and sent at the next
 * drain, in order. A `receiveBufferBytes` above 0 is asked for through `native.setReceiveBuffer`.
 */
export async function openNativeUdpTransport(
  native: NativeUdp,
  listen: Remote,
  onDatagram: (data: Uint8Array, remote: Remote, transport: DatagramTransport) => void,
  onError: (error: Error) => void,
  receiveBufferBytes = 0,
): Promise<DatagramTransport> {
  let closed = false;
  let held: Array<{ data: Uint8Array; address: string; port: number }> = [];
  let droppedWhileFull = 0;

  /** Sends now; false when the datagram must wait for a drain. */
  const trySend = (socket: NativeUdpSocket, data: Uint8Array, address: string, port: number) => {
    try {
      return socket.send(data, port, address);
    } catch (error) {
      onError(new Error(`Cannot send to ${address}:${port}: ${messageOf(error)}`));
      return true; // not sendable at all: nothing to hold
    }
  };
  const hold = (data: Uint8Array, address: string, port: number) => {
    if (held.length < MAX_HELD_DATAGRAMS) held.push({ data, address, port });
    else if (droppedWhileFull++ === 0) {
      onError(new Error(`Send buffer full: dropping datagrams beyond ${MAX_HELD_DATAGRAMS} held`));
    }
  };

  // The transport exists before the socket, so a datagram can never reach it half-built.
  let socket: NativeUdpSocket | undefined;
  let receiveBuffer: number | null = null;
  const local: Remote = { address: listen.address, port: listen.port };
  const transport: DatagramTransport = {
    protocol: "udp",
    local,
    get receiveBufferBytes() {
      return receiveBuffer;
    },
    send(data, address, port) {
      if (closed || socket === undefined) return;
      if (isIP(address) === 0) {
        // Bun's send takes IP addresses only; a Via maddr may be a host name (RFC 3261 §18.2.2).
        lookup(address, { family: 4 }, (error, resolved) => {
          if (error) onError(new Error(`Cannot resolve ${address}: ${error.message}`));
          else transport.send(data, resolved, port);
        });
        return;
      }
      // Keep the order: while datagrams are held, later ones queue behind them.
      if (held.length > 0 || !trySend(socket, data, address, port)) hold(data, address, port);
    },
    close() {
      if (!closed) {
        closed = true;
        held = [];
        socket?.close();
      }
      return Promise.resolve();
    },
  };

  try {
    socket = await native.open({
      hostname: listen.address,
      port: listen.port,
      socket: {
        data(_socket, data, port, address) {
          if (!closed) onDatagram(data, { address, port }, transport);
        },
        drain(s) {
          const waiting = held;
          held = [];
          droppedWhileFull = 0;
          for (let i = 0; i < waiting.length; i++) {
            const d = waiting[i]!;
            if (!trySend(s, d.data, d.address, d.port)) {
              held = waiting.slice(i).concat(held);
              return;
            }
          }
        },
        error(_socket, error) {
          onError(error);
        },
      },
    });
  } catch (error) {
    throw new Error(
      `Cannot listen on UDP ${listen.address}:${listen.port}: ${messageOf(error)}`,
    );
  }
  // Port 0 resolves to the one the kernel chose.
  local.address = socket.hostname;
  local.port = socket.port;
  if (receiveBufferBytes > 0) {
    receiveBuffer = setReceiveBuffer(native, socket.fd, receiveBufferBytes, onError);
  }
  return transport;
}

function setReceiveBuffer(
  native: NativeUdp,
  fd: number,
  bytes: number,
  onError: (error: Error) => void,
): number | null {
  if (native.setReceiveBuffer === undefined) return null;
  try {
    return native.setReceiveBuffer(fd, bytes);
  } catch (error) {
    onError(new Error(`Cannot set the UDP receive buffer: ${messageOf(error)}`));
    return null;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

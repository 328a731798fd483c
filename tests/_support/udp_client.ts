// A UDP test peer: sends raw SIP text to the server and waits (with a timeout) for responses.
import dgram from "node:dgram";

export interface ReceivedResponse {
  text: string;
  status: number;
  reason: string;
  /** Header values by lower-case name, in order. */
  headers: Map<string, string[]>;
}

/** Parses just enough of a response for assertions. */
export function readResponse(text: string): ReceivedResponse {
  const [head] = text.split("\r\n\r\n");
  const [start, ...lines] = head!.split("\r\n");
  const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(start!);
  if (!m) throw new Error(`Not a SIP response: "${start}"`);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { text, status: Number(m[1]), reason: m[2]!, headers };
}

export class UdpClient {
  readonly #socket: dgram.Socket;
  readonly #queue: Buffer[] = [];
  #waiters: Array<(data: Buffer) => void> = [];
  port = 0;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on("message", (data) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(data);
      else this.#queue.push(data);
    });
  }

  /** Binds to loopback port 0; `address` picks another loopback address (e.g. 127.0.0.2). */
  static async open(family: 4 | 6 = 4, address?: string): Promise<UdpClient> {
    const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
    const bindTo = address ?? (family === 6 ? "::1" : "127.0.0.1");
    await new Promise<void>((resolve) => socket.bind(0, bindTo, resolve));
    const client = new UdpClient(socket);
    client.port = socket.address().port;
    return client;
  }

  send(text: string | Uint8Array, port: number, host = "127.0.0.1"): void {
    this.#socket.send(typeof text === "string" ? Buffer.from(text) : text, port, host);
  }

  /** The next datagram, or a rejection after `timeoutMs`. */
  next(timeoutMs = 2000): Promise<string> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued.toString("utf8"));
    return new Promise((resolve, reject) => {
      const waiter = (data: Buffer) => {
        clearTimeout(timer);
        resolve(data.toString("utf8"));
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`No datagram within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Resolves true when nothing arrives within `ms` (to prove a request was not answered). */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  /** Sends and returns the parsed response. */
  async request(text: string, port: number, host = "127.0.0.1"): Promise<ReceivedResponse> {
    this.send(text, port, host);
    return readResponse(await this.next());
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

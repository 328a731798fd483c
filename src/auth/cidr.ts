// CIDR allowlists (`--allow 192.168.1.0/24`), IPv4 and IPv6, with IPv4-mapped IPv6 understood.

/** A parsed network: address bytes and prefix length. */
export interface Cidr {
  text: string;
  bytes: Uint8Array;
  prefix: number;
}

function ipv4Bytes(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function ipv6Bytes(text: string): Uint8Array | null {
  let head = text;
  let tail: Uint8Array | null = null;
  if (text.includes(".")) {
    const lastColon = text.lastIndexOf(":");
    tail = ipv4Bytes(text.slice(lastColon + 1));
    if (tail === null) return null;
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 255;
  }
  if (tail !== null) out.set(tail, 12);
  return out;
}

/** Address bytes: 4 for IPv4, 16 for IPv6; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4. */
export function addressBytes(address: string): Uint8Array | null {
  if (!address.includes(":")) return ipv4Bytes(address);
  const bytes = ipv6Bytes(address.replace(/%.*$/, "")); // drop a zone id (fe80::1%eth0)
  if (bytes === null) return null;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 255 &&
    bytes[11] === 255;
  return mapped ? bytes.slice(12) : bytes;
}

/** Parses `a.b.c.d/n`, `v6::/n` or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr {
  const [addr, prefixText] = text.split("/");
  const bytes = addressBytes(addr ?? "");
  if (bytes === null) throw new Error(`Invalid network "${text}": expected ADDRESS/PREFIX`);
  const max = bytes.length * 8;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (
    prefixText === "" || !/^\d*$/.test(prefixText ?? "") || !Number.isInteger(prefix) ||
    prefix < 0 || prefix > max
  ) {
    throw new Error(`Invalid network "${text}": prefix must be 0-${max}`);
  }
  return { text, bytes, prefix };
}

/** True when `address` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const bytes = addressBytes(address);
  if (bytes === null || bytes.length !== cidr.bytes.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (cidr.bytes[i]! & mask)) return false;
  }
  return true;
}

// wire_latency: response times as the wire saw them, from a loopback capture of a sipp run.
//
//   dumpcap -q -i lo -f "udp port 5180" -B 64 -P -w /dev/shm/run.pcap &   # then run sipp
//   node bench/tools/wire_latency.mjs /dev/shm/run.pcap [server_port]
//
// sipp on this VM reports response times in 4 ms steps, too coarse for a p99 target of 5 ms. A
// capture timestamps each datagram when its sender hands it to the loopback device, in µs. For
// every request to the server port (matched to its answer by Call-ID and CSeq; a retransmission
// counts from its first copy) this prints percentiles of the time to the final answer, by status,
// and per call from its first request to its 200 (a REGISTER with digest auth: 401, then 200).
// Reads classic pcap (dumpcap -P), Ethernet or Linux cooked framing, IPv4 and UDP only.
import fs from "node:fs";

const [file, portText = "5180"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/tools/wire_latency.mjs CAPTURE.pcap [server_port]");
  process.exit(2);
}
const serverPort = Number(portText);
const data = fs.readFileSync(file);
const magic = data.readUInt32LE(0);
if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) {
  console.error(`${file}: not a little-endian classic pcap file (capture with dumpcap -P)`);
  process.exit(1);
}
const fractionPerSecond = magic === 0xa1b23c4d ? 1e9 : 1e6;
const linkHeader = { 1: 14, 113: 16, 276: 20 }[data.readUInt32LE(20)];
if (linkHeader === undefined) {
  console.error(`${file}: link type ${data.readUInt32LE(20)} is not Ethernet or Linux cooked`);
  process.exit(1);
}

/** The value of the first header line starting with one of `names`, from a payload's text. */
function header(text, names) {
  for (const name of names) {
    const at = text.indexOf(`\r\n${name}`);
    if (at >= 0) {
      const end = text.indexOf("\r\n", at + 2);
      return text.slice(text.indexOf(":", at) + 1, end).trim();
    }
  }
  return null;
}

const waiting = new Map(); // Call-ID + CSeq -> time of the request's first copy
const firstRequest = new Map(); // Call-ID -> time of the call's first request
const byStatus = new Map(); // final status -> response times (ms)
const calls = []; // first request to 200 (ms)
for (let at = 24; at + 16 <= data.length;) {
  const seconds = data.readUInt32LE(at);
  const fraction = data.readUInt32LE(at + 4);
  const length = data.readUInt32LE(at + 8);
  const packet = data.subarray(at + 16, at + 16 + length);
  at += 16 + length;
  const ip = packet.subarray(linkHeader);
  if (ip.length < 20 || ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
  const udp = ip.subarray((ip[0] & 15) * 4);
  const toServer = udp.readUInt16BE(2) === serverPort;
  const text = udp.subarray(8).toString("latin1");
  const callId = header(text, ["Call-ID:", "i:"]);
  const cseq = header(text, ["CSeq:"]);
  if (callId === null || cseq === null) continue;
  const t = seconds * 1000 + (fraction / fractionPerSecond) * 1000;
  const key = `${callId}\n${cseq}`;
  if (toServer) {
    if (!waiting.has(key)) waiting.set(key, t);
    if (!firstRequest.has(callId)) firstRequest.set(callId, t);
    continue;
  }
  const status = Number(text.slice(8, 11));
  if (!(status >= 200) || !waiting.has(key)) continue; // provisional, or not a request we saw
  const times = byStatus.get(status) ?? [];
  times.push(t - waiting.get(key));
  byStatus.set(status, times);
  waiting.delete(key);
  if (status === 200 && firstRequest.has(callId)) calls.push(t - firstRequest.get(callId));
}

function line(name, values) {
  const v = values.sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(v.length * p))].toFixed(3);
  const over4 = (100 * v.filter((x) => x > 4).length / v.length).toFixed(2);
  return `${name.padEnd(8)} n=${v.length} p50=${q(0.5)} p90=${q(0.9)} p99=${q(0.99)} ` +
    `p99.9=${q(0.999)} max=${v.at(-1).toFixed(3)} ms, over 4 ms ${over4} %`;
}
if (calls.length > 0) console.log(line("call", calls));
for (const [status, times] of [...byStatus].sort((a, b) => a[0] - b[0])) {
  console.log(line(String(status), times));
}
if (waiting.size > 0) console.log(`unanswered ${waiting.size}`);

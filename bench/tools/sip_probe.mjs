// sip_probe: sends one SIP request to 127.0.0.1:PORT every few ms until any response arrives.
//
//   node bench/tools/sip_probe.mjs PORT [REGISTER|OPTIONS] [TIMEOUT_MS]
//
// Prints the wall-clock time (ms since the epoch, with fractions) at which the first response
// arrived and its status line, then exits 0; exits 1 when nothing answered within TIMEOUT_MS
// (default 20000). bench/run.sh uses it to wait for a server and to time restarts.
import dgram from "node:dgram";

const port = Number(process.argv[2]);
const method = process.argv[3] ?? "OPTIONS";
const timeoutMs = Number(process.argv[4] ?? 20000);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: sip_probe.mjs PORT [REGISTER|OPTIONS] [TIMEOUT_MS]");
  process.exit(2);
}
const socket = dgram.createSocket("udp4");
let n = 0;
const send = () => {
  n++;
  const { port: local } = socket.address();
  const user = "probe";
  const text = [
    `${method} sip:127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-probe-${process.pid}-${n};rport`,
    "Max-Forwards: 70",
    `From: <sip:${user}@127.0.0.1>;tag=probe${process.pid}`,
    `To: <sip:${user}@127.0.0.1>`,
    `Call-ID: probe-${process.pid}-${n}@127.0.0.1`,
    `CSeq: ${n} ${method}`,
    `Contact: <sip:${user}@127.0.0.1:${local}>`,
    "Expires: 3600",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  socket.send(text, port, "127.0.0.1");
};
socket.on("message", (data) => {
  const at = performance.timeOrigin + performance.now();
  const line = data.toString("latin1").split("\r\n", 1)[0];
  console.log(`${at.toFixed(3)} ${line}`);
  process.exit(0);
});
socket.on("error", () => {}); // ICMP port unreachable while the server is not up yet
socket.bind(0, "127.0.0.1", () => {
  send();
  setInterval(send, 2);
  setTimeout(() => {
    console.error(`no answer from 127.0.0.1:${port} within ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs);
});

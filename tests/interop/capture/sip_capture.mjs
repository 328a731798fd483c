#!/usr/bin/env node
// Tiny SIP-over-UDP capture responder for recording what real clients send.
//
//   node sip_capture.mjs --port 5090 --out DIR [--challenge] [--realm R]
//        [--expires DEFAULT] [--max-expires MAX] [--force-expires N]
//
// * Binds 127.0.0.1 only.
// * Writes every received datagram verbatim (raw bytes, CRLF untouched) to
//   DIR/NNN-<METHOD>.sip and logs a one-line summary to stdout.
// * REGISTER -> 200 OK that copies Via/From/To/Call-ID/CSeq, adds a To tag and
//   echoes each Contact with ;expires=<granted>.  With --challenge a REGISTER
//   without Authorization gets a 401 with a Digest challenge first (any
//   credentials are then accepted; nothing is verified).
// * OPTIONS -> 200 OK.  ACK -> nothing.  Anything else -> 405.
import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(opt("--port", "5090"));
const out = opt("--out", "./capture-out");
const challenge = args.includes("--challenge");
const realm = opt("--realm", "127.0.0.1");
const defaultExpires = Number(opt("--expires", "3600"));
const maxExpires = Number(opt("--max-expires", "7200"));
const forceExpires = opt("--force-expires"); // misbehave on purpose: grant this regardless
fs.mkdirSync(out, { recursive: true });

const compact = {
  v: "via",
  f: "from",
  t: "to",
  i: "call-id",
  m: "contact",
  l: "content-length",
  k: "supported",
};
let seq = 0;

function parse(buf) {
  const text = buf.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r\n[ \t]+/g, " ");
  const lines = head.split("\r\n");
  const start = lines.shift();
  const headers = [];
  for (const l of lines) {
    const c = l.indexOf(":");
    if (c < 0) continue;
    let n = l.slice(0, c).trim().toLowerCase();
    n = compact[n] ?? n;
    headers.push([n, l.slice(c + 1).trim()]);
  }
  return {
    start,
    headers,
    all: (n) => headers.filter(([k]) => k === n).map(([, v]) => v),
    one: (n) => headers.find(([k]) => k === n)?.[1],
  };
}

// split a header value on top-level commas (not inside <> or quotes)
function splitComma(v) {
  const parts = [];
  let cur = "", inQ = false, inA = false;
  for (const ch of v) {
    if (ch === '"') inQ = !inQ;
    else if (!inQ && ch === "<") inA = true;
    else if (!inQ && ch === ">") inA = false;
    if (ch === "," && !inQ && !inA) {
      parts.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function respond(msg, code, reason, extra = []) {
  const lines = [`SIP/2.0 ${code} ${reason}`];
  for (const v of msg.all("via")) lines.push(`Via: ${v}`);
  lines.push(`From: ${msg.one("from")}`);
  let to = msg.one("to") ?? "";
  if (!/;\s*tag=/i.test(to)) to += ";tag=" + crypto.randomBytes(4).toString("hex");
  lines.push(`To: ${to}`);
  lines.push(`Call-ID: ${msg.one("call-id")}`);
  lines.push(`CSeq: ${msg.one("cseq")}`);
  lines.push(...extra);
  lines.push("Server: registrar-interop-capture");
  lines.push("Content-Length: 0", "", "");
  return Buffer.from(lines.join("\r\n"), "latin1");
}

const sock = dgram.createSocket("udp4");
sock.on("error", (err) => {
  console.error(`sip_capture: ${err.message}`);
  process.exit(2);
});
sock.on("message", (buf, rinfo) => {
  seq += 1;
  const msg = parse(buf);
  const method = msg.start.startsWith("SIP/2.0") ? "RESPONSE" : msg.start.split(" ")[0];
  const file = path.join(out, `${String(seq).padStart(3, "0")}-${method}.sip`);
  fs.writeFileSync(file, buf);
  let reply = null, code = "-";
  if (method === "REGISTER") {
    const hasAuth = msg.all("authorization").length > 0;
    if (challenge && !hasAuth) {
      const nonce = crypto.randomBytes(8).toString("hex");
      reply = respond(msg, 401, "Unauthorized", [
        `WWW-Authenticate: Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"`,
      ]);
      code = 401;
    } else {
      const hdrExp = msg.one("expires");
      const contacts = msg.all("contact").flatMap(splitComma);
      const extra = [];
      if (!(contacts.length === 1 && contacts[0] === "*")) {
        for (const c of contacts) {
          const m = /;\s*expires\s*=\s*(\d+)/i.exec(c);
          let e = m ? Number(m[1]) : hdrExp !== undefined ? Number(hdrExp) : defaultExpires;
          if (e > maxExpires) e = maxExpires;
          if (forceExpires !== undefined && e !== 0) e = Number(forceExpires);
          if (e === 0) continue; // removed binding: not listed
          extra.push(`Contact: ${c.replace(/;\s*expires\s*=\s*\d+/i, "")};expires=${e}`);
        }
      }
      extra.push(`Date: ${new Date().toUTCString()}`);
      reply = respond(msg, 200, "OK", extra);
      code = 200;
    }
  } else if (method === "OPTIONS") {
    reply = respond(msg, 200, "OK", ["Allow: REGISTER, OPTIONS", "Accept: application/sdp"]);
    code = 200;
  } else if (method !== "ACK" && method !== "RESPONSE") {
    reply = respond(msg, 405, "Method Not Allowed", ["Allow: REGISTER, OPTIONS"]);
    code = 405;
  }
  if (reply) sock.send(reply, rinfo.port, rinfo.address);
  console.log(`${file} ${buf.length}B from ${rinfo.address}:${rinfo.port} ${msg.start} -> ${code}`);
});
sock.bind(
  port,
  "127.0.0.1",
  () => console.log(`listening 127.0.0.1:${port} out=${out} challenge=${challenge}`),
);
const stop = () => {
  sock.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

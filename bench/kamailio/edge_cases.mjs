#!/usr/bin/env node
// Send registrar edge cases as raw UDP to a registrar on 127.0.0.1 and print
// what comes back (markdown).  Used to write bench/kamailio/BEHAVIOUR.md.
//
//   node bench/kamailio/edge_cases.mjs [--port 5070] [--label NAME] [--full]
//
// Every case uses its own AoR (edge-<case>-<run>@127.0.0.1) so cases do not
// interfere; within a case the steps run in order, one request in flight, each
// waiting up to 2 s for a final response.
import dgram from "node:dgram";
import crypto from "node:crypto";

const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const port = Number(opt("--port", "5070"));
const label = opt("--label", `127.0.0.1:${port}`);
const HOST = "127.0.0.1";
const run = crypto.randomBytes(2).toString("hex");

const sock = dgram.createSocket("udp4");
await new Promise((r) => sock.bind(0, HOST, r));
const lport = sock.address().port;
const waiting = new Map();
sock.on("message", (buf) => {
  const text = buf.toString("latin1");
  const m = /^Via:[^\r\n]*branch=([^;\s\r\n]+)/im.exec(text);
  const status = Number(text.slice(8, 11));
  if (m && waiting.has(m[1]) && status >= 200) {
    waiting.get(m[1])(text);
    waiting.delete(m[1]);
  }
});

function send(text, branch) {
  return new Promise((resolve) => {
    const t = setTimeout(() => { waiting.delete(branch); resolve(null); }, 2000);
    waiting.set(branch, (r) => { clearTimeout(t); resolve(r); });
    sock.send(Buffer.from(text, "latin1"), port, HOST);
  });
}

// build a REGISTER; hdrs is an array of extra header lines (Contact/Expires...)
function register(user, { callId, cseq, hdrs = [], ruri = `sip:${HOST}:${port}` }) {
  const branch = "z9hG4bK" + crypto.randomBytes(6).toString("hex");
  const lines = [
    `REGISTER ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${lport};branch=${branch};rport`,
    "Max-Forwards: 70",
    `From: <sip:${user}@${HOST}>;tag=${crypto.randomBytes(4).toString("hex")}`,
    `To: <sip:${user}@${HOST}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    ...hdrs,
    "User-Agent: registrar-edge-cases",
    "Content-Length: 0",
    "",
    "",
  ];
  return { text: lines.join("\r\n"), branch };
}

const interesting = /^(contact|m|expires|min-expires|p-registrar-error|warning|date|require|supported|unsupported|retry-after|server|allow|path|service-route)\s*:/i;
const full = args.includes("--full"); // print every response header, not just the interesting ones
function summarize(resp) {
  if (!resp) return ["(no final response within 2 s)"];
  const lines = resp.split("\r\n");
  if (full) return lines.filter((l) => l !== "");
  return [lines[0], ...lines.slice(1).filter((l) => interesting.test(l))];
}

const cases = [];
const C = (name, fn) => cases.push({ name, fn });
const cid = (n) => `${n}-${run}-${crypto.randomBytes(3).toString("hex")}@edge`;
const ct = (user, p, params = "") => `<sip:${user}@${HOST}:${p}>${params}`;

// Each step: [description, requestOptions]
C("baseline register, Expires header 600", (u) => [
  ["register A (Expires: 600)", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
]);
C("no Expires anywhere (default_expires 3600)", (u) => [
  ["register A, no expires", { hdrs: [`Contact: ${ct(u, 6001)}`] }],
]);
C("Contact ;expires=0 removes one binding", (u) => [
  ["register A and B", { hdrs: [`Contact: ${ct(u, 6001)}, ${ct(u, 6002)}`, "Expires: 600"] }],
  ["A;expires=0", { hdrs: [`Contact: ${ct(u, 6001, ";expires=0")}`] }],
  ["query", { hdrs: [] }],
]);
C("Expires: 0 header with a Contact removes it", (u) => [
  ["register A", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["A with Expires: 0", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 0"] }],
]);
C("remove a contact that is not bound", (u) => [
  ["A;expires=0 on empty AoR", { hdrs: [`Contact: ${ct(u, 6001, ";expires=0")}`] }],
]);
C("Contact: * with Expires: 0 (remove all)", (u) => [
  ["register A and B", { hdrs: [`Contact: ${ct(u, 6001)}`, `Contact: ${ct(u, 6002)}`, "Expires: 600"] }],
  ["Contact: *, Expires: 0", { hdrs: ["Contact: *", "Expires: 0"] }],
  ["query", { hdrs: [] }],
]);
C("Contact: * with Expires: 3600", (u) => [
  ["register A", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["Contact: *, Expires: 3600", { hdrs: ["Contact: *", "Expires: 3600"] }],
  ["query", { hdrs: [] }],
]);
C("Contact: * without Expires header", (u) => [
  ["register A", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["Contact: *, no Expires", { hdrs: ["Contact: *"] }],
  ["query", { hdrs: [] }],
]);
C("Contact: * plus another Contact, Expires: 0", (u) => [
  ["register A", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["Contact: *, Contact: B, Expires: 0", { hdrs: ["Contact: *", `Contact: ${ct(u, 6002)}`, "Expires: 0"] }],
  ["query", { hdrs: [] }],
]);
C("expires below min_expires (60): Contact ;expires=30", (u) => [
  ["A;expires=30", { hdrs: [`Contact: ${ct(u, 6001, ";expires=30")}`] }],
]);
C("expires below min_expires (60): Expires: 30", (u) => [
  ["A, Expires: 30", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 30"] }],
]);
C("expires=1 (RFC 3261: 423 only if > 0 and < min)", (u) => [
  ["A;expires=1", { hdrs: [`Contact: ${ct(u, 6001, ";expires=1")}`] }],
]);
C("expires above max_expires (7200)", (u) => [
  ["A;expires=100000", { hdrs: [`Contact: ${ct(u, 6001, ";expires=100000")}`] }],
  ["B, Expires: 100000", { hdrs: [`Contact: ${ct(u, 6002)}`, "Expires: 100000"] }],
]);
C("Contact ;expires wins over Expires header", (u) => [
  ["A;expires=600 with Expires: 1200", { hdrs: [`Contact: ${ct(u, 6001, ";expires=600")}`, "Expires: 1200"] }],
]);
C("non-numeric Expires header", (u) => [
  ["A, Expires: soon", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: soon"] }],
]);
C("query REGISTER (no Contact)", (u) => [
  ["query on empty AoR", { hdrs: [] }],
  ["register A", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["query", { hdrs: [] }],
]);
C("same Call-ID, lower CSeq than stored binding", (u) => [
  ["register A, CSeq 10, Expires 600", { cseq: 10, hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["re-register A, CSeq 5, Expires 1200", { cseq: 5, hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 1200"] }],
  ["remove A, CSeq 4 (lower)", { cseq: 4, hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 0"] }],
  ["query (CSeq 20)", { cseq: 20, hdrs: [] }],
]);
C("same Call-ID, equal CSeq (new transaction)", (u) => [
  ["register A, CSeq 10", { cseq: 10, hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["register A again, CSeq 10, Expires 1200", { cseq: 10, hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 1200"] }],
]);
C("same contact, new Call-ID (reboot)", (u) => [
  ["register A, Call-ID X", { hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 600"] }],
  ["register A, Call-ID Y, CSeq 1", { callId: cid("reboot-y"), cseq: 1, hdrs: [`Contact: ${ct(u, 6001)}`, "Expires: 900"] }],
]);
C("multiple contacts, one header, q values", (u) => [
  ["A;q=0.1, B;q=1.0, C;q=0.5", { hdrs: [`Contact: ${ct(u, 6001, ";q=0.1")}, ${ct(u, 6002, ";q=1.0")}, ${ct(u, 6003, ";q=0.5")}`, "Expires: 600"] }],
]);
C("multiple Contact headers, mixed expires", (u) => [
  ["A;expires=120, B (Expires: 600), C;expires=0", { hdrs: [`Contact: ${ct(u, 6001, ";expires=120")}`, `Contact: ${ct(u, 6002)}`, `Contact: ${ct(u, 6003, ";expires=0")}`, "Expires: 600"] }],
]);
C("invalid q value q=2", (u) => [
  ["A;q=2", { hdrs: [`Contact: ${ct(u, 6001, ";q=2")}`, "Expires: 600"] }],
]);
C("too many contacts (max_contacts 10)", (u) => [
  ["11 contacts", { hdrs: [`Contact: ${Array.from({ length: 11 }, (_, i) => ct(u, 7000 + i)).join(", ")}`, "Expires: 600"] }],
]);
C("+sip.instance/reg-id without Supported: outbound", (u) => [
  ["A with instance+reg-id", { hdrs: [`Contact: ${ct(u, 6001, ';+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000001>";reg-id=1')}`, "Expires: 600"] }],
]);
C("+sip.instance, same instance new contact URI", (u) => [
  ["A with instance I", { hdrs: [`Contact: ${ct(u, 6001, ';+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000002>"')}`, "Expires: 600"] }],
  ["B with same instance I, new Call-ID", { callId: cid("inst-b"), cseq: 1, hdrs: [`Contact: ${ct(u, 6002, ';+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000002>"')}`, "Expires: 600"] }],
]);
C("Contact with display name and params (linphone style)", (u) => [
  ["\"Carol\" <sip:u@host;transport=udp>", { hdrs: [`Contact: "Carol" <sip:${u}@${HOST}:6001;transport=udp>`, "Expires: 600"] }],
]);

console.log(`## ${label}\n`);
for (const [i, c] of cases.entries()) {
  const user = `edge${String(i + 1).padStart(2, "0")}-${run}`;
  const callId = cid(`c${i + 1}`);
  let cseq = 1;
  console.log(`### ${i + 1}. ${c.name}\n`);
  console.log("```");
  for (const [desc, o] of c.fn(user)) {
    const seqNo = o.cseq ?? cseq++;
    const { text, branch } = register(user, { callId: o.callId ?? callId, cseq: seqNo, hdrs: o.hdrs });
    const resp = await send(text, branch);
    console.log(`> ${desc}   [CSeq ${seqNo}]`);
    for (const h of o.hdrs) console.log(`>   ${h.replace(new RegExp(run, "g"), "RUN")}`);
    for (const l of summarize(resp)) console.log(`< ${l.replace(new RegExp(run, "g"), "RUN")}`);
    console.log("");
  }
  console.log("```\n");
}
sock.close();

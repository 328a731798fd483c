// Guard: src/ and mod.ts import nothing but node:* built-ins and relative paths.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else if (path.endsWith(".ts")) out.push(path);
  }
  return out;
}

let bad = 0;
for (const file of ["mod.ts", ...filesUnder("src")]) {
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? "";
    if (!spec.startsWith("node:") && !spec.startsWith("./") && !spec.startsWith("../")) {
      console.error(`${file}: imports "${spec}"; only node:* and relative imports are allowed`);
      bad++;
    }
  }
  // Only the store may open SQLite, only the transport may open sockets (STYLE.md layering).
  if (/from\s+["']node:sqlite["']/.test(text) && !file.startsWith("src/store/")) {
    console.error(`${file}: imports node:sqlite; only src/store/ may`);
    bad++;
  }
  if (/from\s+["']node:(dgram|net|tls)["']/.test(text) && !file.startsWith("src/transport/")) {
    console.error(`${file}: imports a socket module; only src/transport/ may`);
    bad++;
  }
  if (file.startsWith("src/sip/") && /from\s+["']node:/.test(text)) {
    console.error(`${file}: src/sip/ is pure protocol and imports no node:* module`);
    bad++;
  }
}
if (bad > 0) process.exit(1);
console.log("imports ok");

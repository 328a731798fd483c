// `registrar inspect USER`: every stored field of an AoR's bindings, its history, NAT diagnosis.
import type { Binding, StoredBindingEvent } from "../registrar/binding.ts";
import { resolveAor } from "./aor_target.ts";
import type { CliContext, ConfigValues } from "./cli_context.ts";
import {
  CONFIG_OPTION,
  DATA_OPTION,
  DOMAIN_OPTION,
  domainsOf,
  HELP_OPTION,
  JSON_OPTION,
  withAdmin,
} from "./common_options.ts";
import { bindingJson, formatSource } from "./list.ts";
import { diagnoseNat } from "./nat_diagnosis.ts";
import type { NatFinding } from "./nat_diagnosis.ts";
import { CliError, formatHelp, parseOptions, UsageError } from "./options.ts";
import type { OptionSpec } from "./options.ts";
import { formatAgo, formatRemaining, formatTable, palette, useColour, wrap } from "./render.ts";
import type { Palette } from "./render.ts";

/** The options of `inspect`. */
export const INSPECT_OPTIONS: OptionSpec[] = [
  DATA_OPTION,
  CONFIG_OPTION,
  DOMAIN_OPTION,
  JSON_OPTION,
  HELP_OPTION,
];

/** The usage line of `inspect`. */
export const INSPECT_USAGE = "registrar inspect USER|USER@DOMAIN|SIP-URI [options]";

/** The JSON shape of one history event (`inspect --json`, `events --json`). */
export function eventJson(e: StoredBindingEvent): Record<string, unknown> {
  return {
    seq: e.seq,
    at: new Date(e.atMs).toISOString(),
    aor: e.aor,
    kind: e.kind,
    bindingId: e.bindingId,
    contact: e.contact,
    source: e.source,
    detail: e.detail,
  };
}

/** Runs `registrar inspect`. */
export async function runInspect(
  args: string[],
  context: CliContext,
  config: ConfigValues = {},
): Promise<number> {
  const { values, positionals } = parseOptions(args, INSPECT_OPTIONS, context.env, {
    positionals: 1,
    fileValues: config,
  });
  if (values.help) {
    context.stdout(formatHelp(
      INSPECT_USAGE,
      "Show every stored field of a user's bindings, their history, and NAT problems seen.",
      INSPECT_OPTIONS,
    ));
    return 0;
  }
  const target = positionals[0];
  if (target === undefined) throw new UsageError("Missing the user to inspect");
  const nowMs = context.clock.nowMs();
  const { aor, bindings, history } = await withAdmin(values, (admin) => {
    const aor = resolveAor(target, admin.aors(), domainsOf(values));
    return { aor, bindings: admin.store.bindingsOf(aor), history: admin.events({ aor }) };
  });
  if (bindings.length === 0 && history.length === 0) {
    throw new CliError(`No bindings or history for "${aor}"`);
  }
  const findings = diagnoseNat(bindings, history);
  if (values.json) {
    context.stdout(
      JSON.stringify(
        {
          aor,
          bindings: bindings.map((b) => bindingJson(b, nowMs)),
          history: history.map(eventJson),
          diagnosis: findings,
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }
  const p = palette(useColour(context));
  const out: string[] = [];
  const live = bindings.filter((b) => b.expiresAtMs > nowMs).length;
  out.push(
    `${p.bold(aor)}: ${plural(live, "current binding")}` +
      (live < bindings.length ? `, ${bindings.length - live} expired (not yet purged)` : ""),
  );
  for (const b of bindings) out.push("", ...bindingLines(b, nowMs, p));
  out.push("", p.bold(`History (${plural(history.length, "event")}, oldest first)`));
  out.push(history.length === 0 ? "  none recorded" : historyTable(history, p));
  out.push("", p.bold("NAT diagnosis"));
  out.push(...(findings.length === 0 ? ["  nothing suspicious seen"] : findingLines(findings, p)));
  context.stdout(out.join("\n").replace(/\n+$/, "") + "\n");
  return 0;
}

function bindingLines(b: Binding, nowMs: number, p: Palette): string[] {
  const expiresIn = b.expiresAtMs - nowMs;
  const fields: Array<[string, string]> = [
    ["contact", b.contact],
    ["contact URI", b.contactUri],
    ["source", `${formatSource(b.sourceAddress, b.sourcePort)} (${b.transport}, as seen)`],
    ["user agent", b.userAgent ?? "-"],
    ["q", b.q === null ? "- (counts as 1.0)" : String(b.q)],
    ["call-id", b.callId],
    ["cseq", String(b.cseq)],
    [
      "expires",
      `${expiresIn > 0 ? `in ${formatRemaining(expiresIn)}` : p.red("expired")} at ` +
      `${iso(b.expiresAtMs)} (granted ${b.expiresSeconds} s)`,
    ],
    ["registered", `${iso(b.registeredAtMs)} (${formatAgo(nowMs - b.registeredAtMs)})`],
    ["refreshed", `${iso(b.refreshedAtMs)} (${formatAgo(nowMs - b.refreshedAtMs)})`],
    ["path", b.path ?? "-"],
    ["instance", b.instance ?? "-"],
    ["reg-id", b.regId === null ? "-" : String(b.regId)],
  ];
  return [
    `Binding ${p.cyan(b.id)}`,
    ...fields.map(([name, value]) => `  ${name.padEnd(12)}${value}`),
  ];
}

function historyTable(history: readonly StoredBindingEvent[], p: Palette): string {
  const rows = history.map((e) => [
    iso(e.atMs).slice(5, 19).replace("T", " "),
    e.kind,
    e.bindingId ?? "-",
    e.source ?? (e.detail === "cli" ? "cli" : "-"),
    e.contact ?? "-",
    e.detail ?? "",
  ]);
  const table = formatTable(
    ["  TIME", "EVENT", "ID", "SOURCE", "CONTACT", "DETAIL"],
    rows.map(
      (r) => ["  " + r[0], ...r.slice(1)],
    ),
    {
      shrink: { 3: 9, 4: 12, 5: 6 },
      style: (text, row, column) => {
        if (row === -1) return p.dim(text);
        const kind = history[row]!.kind;
        if (column !== 1) return text;
        if (kind === "registered" || kind === "refreshed") return p.green(text);
        if (kind === "auth-failed" || kind === "kicked" || kind === "evicted") return p.red(text);
        return p.yellow(text);
      },
    },
  );
  return table.replace(/\n$/, "");
}

function findingLines(findings: readonly NatFinding[], p: Palette): string[] {
  return findings.flatMap((f) => [
    wrap(`  ! ${f.bindingId}: ${f.message}`, 80, 4).replace("!", p.yellow("!")),
    wrap(`    Fix: ${f.fix}`, 80, 9),
  ]);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

// The `registrar export` JSON format (version 1): building it, and checking it record by record.
import type { UserCredentials } from "../auth/user_directory.ts";
import type { Binding } from "../registrar/binding.ts";
import { userProblem } from "../store/sqlite_user_store.ts";
import { bindingJson } from "./list.ts";

/** The `format` value of an export file. */
export const EXPORT_FORMAT = "registrar-export";

/** The version this code writes and reads. */
export const EXPORT_VERSION = 1;

/** An export file as parsed and checked. */
export interface ExportData {
  bindings: Binding[];
  /** Null when the file carries no users (exported without `--users`). */
  users: UserCredentials[] | null;
}

/**
 * The export document: `{format, version, exportedAt, bindings, users?}`, bindings in the
 * `list --json` shape, users with their HA1 values (never passwords).
 */
export function buildExport(
  bindings: readonly Binding[],
  users: readonly UserCredentials[] | null,
  nowMs: number,
): Record<string, unknown> {
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: new Date(nowMs).toISOString(),
    bindings: bindings.map((b) => bindingJson(b, nowMs)),
    ...(users === null ? {} : {
      users: users.map((u) => ({
        username: u.username,
        realm: u.realm,
        ha1Md5: u.ha1Md5,
        ha1Sha256: u.ha1Sha256,
        admin: u.admin,
      })),
    }),
  };
}

/** Thrown by `parseExport` with every problem found, each naming the record. */
export class ExportFormatError extends Error {
  override name = "ExportFormatError";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems[0] ?? "Invalid export file");
    this.problems = problems;
  }
}

/**
 * Parses and checks an export file completely before anything is written: every record is
 * validated and every problem reported (`ExportFormatError.problems`), so an import is all or
 * nothing. Derived fields (`expiresInSeconds`, `expired`) are ignored.
 *
 * @example
 * ```ts
 * const { bindings, users } = parseExport(readFileSync("backup.json", "utf8"));
 * ```
 */
export function parseExport(text: string): ExportData {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ExportFormatError([`Not valid JSON: ${(error as Error).message}`]);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new ExportFormatError(["Expected a JSON object"]);
  }
  const d = doc as Record<string, unknown>;
  if (d.format !== EXPORT_FORMAT) {
    throw new ExportFormatError([
      `Expected "format": "${EXPORT_FORMAT}", got ${JSON.stringify(d.format ?? null)}`,
    ]);
  }
  if (d.version !== EXPORT_VERSION) {
    throw new ExportFormatError([
      `Unsupported export version ${JSON.stringify(d.version ?? null)}; this registrar reads ` +
      `version ${EXPORT_VERSION}`,
    ]);
  }
  if (!Array.isArray(d.bindings)) throw new ExportFormatError(['Expected a "bindings" array']);
  if (d.users !== undefined && !Array.isArray(d.users)) {
    throw new ExportFormatError(['Expected "users" to be an array when present']);
  }
  const problems: string[] = [];
  const bindings: Binding[] = [];
  const keys = new Set<string>();
  d.bindings.forEach((record, i) => {
    const b = parseBinding(record, `Binding ${i + 1}`, problems);
    if (b === null) return;
    const key = `${b.aor}\n${b.id}`;
    if (keys.has(key)) {
      problems.push(`Binding ${i + 1}: duplicate id "${b.id}" for "${b.aor}"`);
      return;
    }
    keys.add(key);
    bindings.push(b);
  });
  let users: UserCredentials[] | null = null;
  if (Array.isArray(d.users)) {
    users = [];
    const names = new Set<string>();
    d.users.forEach((record, i) => {
      const where = `User ${i + 1}`;
      if (typeof record !== "object" || record === null) {
        problems.push(`${where}: expected an object`);
        return;
      }
      const r = record as Record<string, unknown>;
      const user = {
        username: r.username,
        realm: r.realm,
        ha1Md5: r.ha1Md5,
        ha1Sha256: r.ha1Sha256,
        admin: r.admin,
      } as UserCredentials;
      const problem = userProblem(user);
      if (problem !== null) {
        problems.push(`${where}: ${problem}`);
        return;
      }
      const key = `${user.username}@${user.realm}`;
      if (names.has(key)) {
        problems.push(`${where}: duplicate user "${key}"`);
        return;
      }
      names.add(key);
      users!.push(user);
    });
  }
  if (problems.length > 0) throw new ExportFormatError(problems);
  return { bindings, users };
}

function parseBinding(record: unknown, where: string, problems: string[]): Binding | null {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    problems.push(`${where}: expected an object`);
    return null;
  }
  const r = record as Record<string, unknown>;
  const before = problems.length;
  const fail = (field: string, expected: string) =>
    problems.push(
      `${where}${typeof r.id === "string" ? ` ("${r.id}")` : ""}: "${field}" must be ${expected}`,
    );
  const text = (field: string, value: unknown, nullable = false): string | null => {
    if (nullable && value === null) return null;
    if (typeof value !== "string" || value === "") {
      fail(field, nullable ? "a non-empty string or null" : "a non-empty string");
      return null;
    }
    return value;
  };
  const integer = (field: string, value: unknown, min: number, max: number): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      fail(field, `a whole number from ${min} to ${max}`);
      return 0;
    }
    return value;
  };
  const instant = (field: string, value: unknown): number => {
    const ms = typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)
      ? Date.parse(value)
      : NaN;
    if (Number.isNaN(ms)) fail(field, "an ISO 8601 UTC time such as 2024-05-01T12:00:00.000Z");
    return ms;
  };
  const id = text("id", r.id);
  const aor = text("aor", r.aor);
  if (aor !== null && !/^sips?:\S+$/.test(aor)) fail("aor", 'a SIP AoR such as "sip:bob@office"');
  const contact = text("contact", r.contact);
  const contactUri = text("contactUri", r.contactUri);
  let q: number | null = null;
  if (r.q !== null && r.q !== undefined) {
    if (typeof r.q !== "number" || r.q < 0 || r.q > 1) fail("q", "a number from 0 to 1, or null");
    else q = r.q;
  }
  const callId = text("callId", r.callId);
  const cseq = integer("cseq", r.cseq, 0, 2 ** 31 - 1);
  const expiresSeconds = integer("expiresSeconds", r.expiresSeconds, 0, 2 ** 32 - 1);
  const expiresAtMs = instant("expiresAt", r.expiresAt);
  const registeredAtMs = instant("registeredAt", r.registeredAt);
  const refreshedAtMs = instant("refreshedAt", r.refreshedAt);
  const source = r.source as Record<string, unknown> | null | undefined;
  let sourceAddress = "";
  let sourcePort = 0;
  let transport = "";
  if (typeof source !== "object" || source === null) {
    fail("source", "an object {address, port, transport}");
  } else {
    sourceAddress = text("source.address", source.address) ?? "";
    sourcePort = integer("source.port", source.port, 0, 65_535);
    if (typeof source.transport !== "string" || !/^[a-z]+$/.test(source.transport)) {
      fail("source.transport", 'a lower-case transport name such as "udp"');
    } else transport = source.transport;
  }
  const userAgent = text("userAgent", r.userAgent ?? null, true);
  const path = text("path", r.path ?? null, true);
  const instance = text("instance", r.instance ?? null, true);
  const regId = r.regId === null || r.regId === undefined
    ? null
    : integer("regId", r.regId, 0, 2 ** 31 - 1);
  if (problems.length > before) return null;
  return {
    id: id!,
    aor: aor!,
    contact: contact!,
    contactUri: contactUri!,
    q,
    callId: callId!,
    cseq,
    expiresSeconds,
    expiresAtMs,
    registeredAtMs,
    refreshedAtMs,
    sourceAddress,
    sourcePort,
    transport,
    userAgent,
    path,
    instance,
    regId,
  };
}

// resolveAor: turns what an admin types (`bob`, `bob@office`, `sip:bob@office`) into an AoR key.
import { CliError, UsageError } from "./options.ts";

/**
 * The AoR key (`sip:user@host`, host lower-cased, as the registrar stores it) that `target`
 * names. A bare user name is looked up among `knownAors` (restricted to `domains` when some are
 * configured): one match is the answer; none is a `CliError` (exit 1), unless exactly one
 * domain is configured, which then completes the name; several is a `UsageError` asking for the
 * domain.
 *
 * @example
 * ```ts
 * resolveAor("bob@Office.test", [], []); // "sip:bob@office.test"
 * resolveAor("bob", ["sip:bob@office.test"], []); // "sip:bob@office.test"
 * ```
 */
export function resolveAor(
  target: string,
  knownAors: readonly string[],
  domains: string[],
): string {
  const text = target.trim();
  if (text === "") throw new UsageError("Empty user name");
  const withoutScheme = text.replace(/^sips?:/i, "");
  const at = withoutScheme.lastIndexOf("@");
  if (at !== -1) {
    const user = withoutScheme.slice(0, at);
    const host = withoutScheme.slice(at + 1).replace(/[;?].*$/, "").toLowerCase();
    if (user === "" || host === "") throw new UsageError(`Cannot read "${target}" as user@domain`);
    return `sip:${user}@${host}`;
  }
  if (withoutScheme !== text) return `sip:${withoutScheme.toLowerCase()}`;
  const matches = knownAors.filter((aor) => {
    const parts = splitAor(aor);
    return parts.user === text && (domains.length === 0 || domains.includes(parts.host));
  });
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(
      `User "${text}" exists in several domains (${
        matches.join(", ")
      }); name one as ${text}@domain`,
    );
  }
  if (domains.length === 1) return `sip:${text}@${domains[0]}`;
  throw new CliError(`No bindings or history for user "${text}"`);
}

/** The user part and host of an AoR key "sip:user@host". */
export function splitAor(aor: string): { user: string; host: string } {
  const rest = aor.replace(/^sips?:/, "");
  const at = rest.lastIndexOf("@");
  return at === -1
    ? { user: "", host: rest }
    : { user: rest.slice(0, at), host: rest.slice(at + 1) };
}

/** The AoR without its scheme, for tables: `bob@office.test`. */
export function shortAor(aor: string): string {
  return aor.replace(/^sip:/, "");
}

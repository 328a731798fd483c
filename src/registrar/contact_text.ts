// Contact echo: a stored Contact element as the phone sent it, with the granted expires set.

/**
 * Where the header parameters of a Contact element start: after the closing `>` of a name-addr,
 * or at the first `;` of an addr-spec (RFC 3261 §20.10). Quoted display names are skipped.
 */
function paramsStart(text: string): number {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === "\\") i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === "<") {
      const close = text.indexOf(">", i + 1);
      return close === -1 ? text.length : close + 1;
    } else if (c === ";") return i;
  }
  return text.length;
}

/** Splits `;a=1;b="x;y"` into ["a=1", "b=\"x;y\""] without breaking quoted values. */
function splitParams(params: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < params.length; i++) {
    const c = params[i];
    if (inQuotes) {
      if (c === "\\") i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === ";") {
      out.push(params.slice(start, i));
      start = i + 1;
    }
  }
  out.push(params.slice(start));
  return out.filter((p) => p.trim() !== "");
}

/**
 * The Contact element exactly as sent, but with its `expires` parameter set to the granted
 * interval: RFC 3261 §10.3 step 8 says each Contact in the 200 "MUST feature an expires parameter
 * indicating its expiration interval chosen by the registrar". Nothing else is rewritten.
 *
 * @example
 * ```ts
 * withExpiresParam('<sip:bob@10.0.0.5>;expires=7200;q=0.5', 3600);
 * // '<sip:bob@10.0.0.5>;q=0.5;expires=3600'
 * ```
 */
export function withExpiresParam(contact: string, expiresSeconds: number): string {
  const at = paramsStart(contact);
  const head = contact.slice(0, at).trimEnd();
  const kept = splitParams(contact.slice(at)).filter((p) => {
    const eq = p.indexOf("=");
    return (eq === -1 ? p : p.slice(0, eq)).trim().toLowerCase() !== "expires";
  });
  kept.push(`expires=${expiresSeconds}`);
  return `${head};${kept.join(";")}`;
}

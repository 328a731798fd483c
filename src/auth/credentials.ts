// Parses Authorization header values: `Digest username="bob", realm="office", ...` (RFC 3261 §25.1).

/** One credentials header, its scheme and auth-params (names lower-cased, values unquoted). */
export interface Credentials {
  scheme: string;
  params: Map<string, string>;
}

/** Thrown for an Authorization value that does not follow the grammar. */
export class CredentialsSyntaxError extends SyntaxError {
  override name = "CredentialsSyntaxError";
}

/**
 * Parses `scheme param=value, param="quoted", ...`. Quoted values may contain commas and escaped
 * characters (RFC 3261 §25.1 quoted-pair).
 *
 * @example
 * ```ts
 * parseCredentials('Digest username="bob", nc=00000001').params.get("nc"); // "00000001"
 * ```
 */
export function parseCredentials(value: string): Credentials {
  const text = value.trim();
  const space = text.search(/\s/);
  if (space <= 0) {
    throw new CredentialsSyntaxError(`Cannot parse credentials "${value}": no parameters`);
  }
  const scheme = text.slice(0, space);
  const params = new Map<string, string>();
  let i = space;
  while (i < text.length) {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const eq = text.indexOf("=", i);
    if (eq === -1) {
      throw new CredentialsSyntaxError(`Cannot parse credentials "${value}": expected name=value`);
    }
    const name = text.slice(i, eq).trim().toLowerCase();
    if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(name)) {
      throw new CredentialsSyntaxError(`Cannot parse credentials "${value}": bad parameter name`);
    }
    i = eq + 1;
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
    let v = "";
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length) {
          v += text[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          v += c;
          i++;
        }
      }
      if (!closed) {
        throw new CredentialsSyntaxError(`Cannot parse credentials "${value}": unterminated quote`);
      }
    } else {
      const end = text.indexOf(",", i);
      v = (end === -1 ? text.slice(i) : text.slice(i, end)).trim();
      i = end === -1 ? text.length : end;
    }
    if (params.has(name)) {
      throw new CredentialsSyntaxError(`Cannot parse credentials "${value}": "${name}" repeated`);
    }
    params.set(name, v);
  }
  return { scheme, params };
}

// Rendering helpers for the CLI: human durations, colour, and aligned tables that fit 80 columns.

/** `28m12s`, `2h05m`, `3d4h`, `45s`; negative durations read as "expired". */
export function formatDuration(ms: number): string {
  if (ms < 0) return "expired";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/**
 * Time left, rounded up to the second as the registrar reports it in a 200: a binding just
 * granted 1800 s shows `30m00s`, not `29m59s`.
 */
export function formatRemaining(ms: number): string {
  return ms <= 0 ? "expired" : formatDuration(Math.ceil(ms / 1000) * 1000);
}

/** `3m ago`, `just now`. */
export function formatAgo(ms: number): string {
  if (ms < 1000) return "just now";
  const text = formatDuration(ms);
  // Keep only the leading unit: "3m ago" reads better than "3m12s ago" in a table.
  const lead = /^\d+[a-z]/.exec(text)?.[0] ?? text;
  return `${lead} ago`;
}

/** An instant as `2024-05-01 12:00:07` (UTC, to the second) for logs and histories. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "");
}

/** Shortens text to `width` characters with a trailing "…". */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Word-wraps `text` to `width` columns, keeping its leading spaces; lines after the first
 * start with `indent` spaces.
 * A word longer than a line is left whole.
 */
export function wrap(text: string, width = 80, indent = 0): string {
  const lines: string[] = [];
  let line = "";
  const lead = /^ */.exec(text)![0];
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const prefix = lines.length === 0 ? lead : " ".repeat(indent);
    if (line === "") line = prefix + word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = " ".repeat(indent) + word;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

/** ANSI styles, or identity functions when colour is off. */
export interface Palette {
  bold: (text: string) => string;
  dim: (text: string) => string;
  red: (text: string) => string;
  green: (text: string) => string;
  yellow: (text: string) => string;
  cyan: (text: string) => string;
}

/** Colour only on a terminal and only without NO_COLOR (https://no-color.org). */
export function useColour(context: {
  stdoutIsTty: boolean;
  env: Record<string, string | undefined>;
}): boolean {
  const noColour = context.env.NO_COLOR;
  return context.stdoutIsTty && (noColour === undefined || noColour === "");
}

/** The palette for `enabled`. */
export function palette(enabled: boolean): Palette {
  const sgr = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

/** How `formatTable` fits and decorates a table. */
export interface TableOptions {
  /** Width the table must fit; default 80. */
  maxWidth?: number;
  /**
   * Columns that may be shortened (with "…") to fit, each with the narrowest width allowed
   * (never narrower than its header).
   * The widest shrinkable column gives up a character first, so long columns share the cut.
   */
  shrink?: Record<number, number>;
  /**
   * Tiers of shrinkable columns, cut in this order: each tier down to its minimums before the
   * next is touched; whatever is still too wide is then cut widest column first.
   */
  shrinkOrder?: number[][];
  /** Decorates a padded cell (colour); `row` is -1 for the header. Never changes its width. */
  style?: (text: string, row: number, column: number) => string;
}

/**
 * An aligned table, two spaces between columns, the last column unpadded. With `shrink`, cells
 * of the shrinkable columns are cut until every line fits `maxWidth`.
 *
 * @example
 * ```ts
 * formatTable(["ID", "AOR"], [["k3v9qa", "bob@office"]]);
 * // "ID      AOR\nk3v9qa  bob@office\n"
 * ```
 */
export function formatTable(
  header: string[],
  rows: string[][],
  options: TableOptions = {},
): string {
  const maxWidth = options.maxWidth ?? 80;
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const shrink = options.shrink ?? {};
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const cut = (columns: number[]) => {
    while (total() > maxWidth) {
      let widest = -1;
      for (const i of columns) {
        const floor = Math.max(shrink[i] ?? 0, header[i]?.length ?? 0);
        if (widths[i]! > floor && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest === -1) return;
      widths[widest]!--;
    }
  };
  const shrinkable = Object.keys(shrink).map(Number).filter((i) => i < widths.length);
  for (const tier of options.shrinkOrder ?? []) cut(tier.filter((i) => shrinkable.includes(i)));
  cut(shrinkable);
  const style = options.style ?? ((text: string) => text);
  return all.map((r, rowIndex) =>
    r.map((cell, i) => {
      const text = truncate(cell, widths[i]!);
      const padded = i === r.length - 1 ? text : text.padEnd(widths[i]!);
      return style(padded, rowIndex - 1, i);
    }).join("  ").trimEnd()
  ).join("\n") + "\n";
}

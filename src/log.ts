// Logger: one line per event, "level message key=value ...", written to an injected sink.

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** A small structured logger; lines are stable enough to grep (and for fail2ban). */
export interface Logger {
  /** Whether a line at `level` would be written: lets a hot path skip building its fields. */
  isEnabled(level: LogLevel): boolean;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function formatValue(value: string | number | boolean | null): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** Formats one log line: `2026-01-01T00:00:00.000Z warn message a=1 b="x y"`. */
export function formatLogLine(
  atMs: number,
  level: LogLevel,
  message: string,
  fields?: LogFields,
): string {
  let line = `${new Date(atMs).toISOString()} ${level} ${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}

/**
 * A logger writing lines at or above `level` to `write`; a function as `level` is read at each
 * line, so the level can change while running (SIGHUP).
 */
export function createLogger(
  write: (line: string) => void,
  level: LogLevel | (() => LogLevel) = "info",
  nowMs: () => number = Date.now,
): Logger {
  const min = typeof level === "function" ? () => ORDER[level()] : () => ORDER[level];
  const at = (l: LogLevel) => (message: string, fields?: LogFields) => {
    if (ORDER[l] >= min()) write(formatLogLine(nowMs(), l, message, fields) + "\n");
  };
  return {
    isEnabled: (l) => ORDER[l] >= min(),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = {
  isEnabled: () => false,
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Parses a --log-level value, or returns undefined. */
export function parseLogLevel(text: string): LogLevel | undefined {
  return text in ORDER ? (text as LogLevel) : undefined;
}

// createLogger(): lines at or above the level; isEnabled() agrees with what would be written.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, silentLogger } from "../src/log.ts";
import type { LogLevel } from "../src/log.ts";

describe("createLogger()", () => {
  it("writes lines at or above its level, and isEnabled() says which", () => {
    const lines: string[] = [];
    const logger = createLogger((line) => void lines.push(line), "warn", () => 0);
    logger.info("quiet");
    logger.warn("loud", { a: 1 });
    assert.deepEqual(lines, ["1970-01-01T00:00:00.000Z warn loud a=1\n"]);
    assert.deepEqual(
      (["debug", "info", "warn", "error"] as const).map((l) => logger.isEnabled(l)),
      [false, false, true, true],
    );
  });

  it("follows a level that changes while running (SIGHUP)", () => {
    let level: LogLevel = "info";
    const logger = createLogger(() => {}, () => level);
    assert.equal(logger.isEnabled("debug"), false);
    level = "debug";
    assert.equal(logger.isEnabled("debug"), true);
  });

  it("silentLogger enables nothing", () => {
    assert.equal(silentLogger.isEnabled("error"), false);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { processContext, runtimeName } from "../src/runtime.ts";

describe("processContext()", () => {
  it("offers a full garbage collection on Bun only (Deno gives programs none)", () => {
    const collect = processContext().collectGarbage;
    if (runtimeName() === "bun") {
      assert.equal(typeof collect, "function");
      collect!(); // runs a collection synchronously and returns
    } else {
      assert.equal(collect, undefined);
    }
  });
});

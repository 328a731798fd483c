// waitFor: polls a condition that becomes true asynchronously (a write committed later, say).
import { setTimeout } from "node:timers";

/** Polls `check` every few milliseconds until it holds or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

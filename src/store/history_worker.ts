// The history thread's entry point: appends the events the server posts to <dataDir>/history.db.
// Its counterpart on the server's thread is HistoryThread (history_thread.ts), which documents
// the messages.
import { HistoryFile } from "./history_file.ts";
import { decodeEvents } from "./history_thread.ts";
import type { ToHistory } from "./history_thread.ts";

/** The worker's global scope: the part of it used here (Bun and Deno both have it). */
interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = globalThis as unknown as WorkerScope;

let file: HistoryFile | undefined;

scope.onmessage = (event: MessageEvent) => {
  const message = event.data as ToHistory;
  try {
    switch (message.type) {
      case "open":
        file = new HistoryFile(message.path, message.historyPerAor);
        break;
      case "append":
        if (file === undefined) throw new Error("the history is not open");
        file.append(decodeEvents(message.events)); // one transaction, pruned
        break;
      case "flush":
        scope.postMessage({ type: "flushed", id: message.id });
        break;
      case "close":
        file?.close();
        file = undefined;
        scope.postMessage({ type: "closed" });
        break;
    }
  } catch (error) {
    scope.postMessage({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
    });
    if (message.type === "flush") scope.postMessage({ type: "flushed", id: message.id });
  }
};

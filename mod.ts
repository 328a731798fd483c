// registrar: public API for embedding, and the CLI when run as a program.
export { main } from "./src/cli/main.ts";
export type { CliContext } from "./src/cli/cli_context.ts";
export { FakeClock, systemClock } from "./src/clock.ts";
export type { Clock } from "./src/clock.ts";
export { createLogger, silentLogger } from "./src/log.ts";
export type { Logger } from "./src/log.ts";
export { SipHeaders } from "./src/sip/sip_headers.ts";
export { SipParseError } from "./src/sip/sip_parse_error.ts";
export type { SipMessage, SipRequest, SipResponse } from "./src/sip/message.ts";
export { parseMessage } from "./src/sip/parse_message.ts";
export { parseSipUri, sipUriEquals } from "./src/sip/sip_uri.ts";
export { buildResponse, formatMessage } from "./src/sip/response.ts";
export { DEFAULT_REGISTRAR_OPTIONS, Registrar } from "./src/registrar/registrar.ts";
export type { RegistrarOptions, RegistrarReply } from "./src/registrar/registrar.ts";
export type { Binding, BindingEvent } from "./src/registrar/binding.ts";
export type { AorChange, BindingStore } from "./src/registrar/binding_store.ts";
export { openBindingStore, SqliteBindingStore } from "./src/store/sqlite_binding_store.ts";
export { startServer } from "./src/server/start_server.ts";
export type { RunningServer } from "./src/server/start_server.ts";
export { DEFAULT_SERVE_CONFIG } from "./src/server/serve_config.ts";
export type { ServeConfig } from "./src/server/serve_config.ts";

if (import.meta.main) {
  const { main } = await import("./src/cli/main.ts");
  const { exit, processArgs, processContext } = await import("./src/runtime.ts");
  exit(await main(processArgs(), processContext()));
}

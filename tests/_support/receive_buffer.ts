// What Linux reports for a socket that asked for UDP_RECEIVE_BUFFER_BYTES, from this machine's cap.
import { readFileSync } from "node:fs";
import { UDP_RECEIVE_BUFFER_BYTES } from "../../src/transport/udp_transport.ts";

/**
 * Twice the size asked, capped at net.core.rmem_max (socket(7): the kernel doubles SO_RCVBUF for
 * its bookkeeping); null off Linux, where tests only check that a size is reported.
 */
export function expectedReceiveBuffer(): number | null {
  let max: number;
  try {
    max = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8").trim());
  } catch {
    return null;
  }
  return 2 * Math.min(UDP_RECEIVE_BUFFER_BYTES, max);
}

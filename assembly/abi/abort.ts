// The module's `abort` (built with `--use abort=assembly/abi/abort/abortHandler`), so the module
// imports no `env.abort`, which Envoy does not provide. It logs one critical line and traps; the
// host then applies the plugin's failure policy (fail open or closed).
import { proxy_log } from "@solo-io/proxy-runtime/assembly/imports";

const LOG_CRITICAL: usize = 5;

export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "kafka-filter: internal error: " + (message !== null ? message : "abort");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(LOG_CRITICAL, changetype<usize>(bytes), bytes.byteLength);
  unreachable();
}

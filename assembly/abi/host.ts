// Small wrappers over host calls the filter uses: logging with the host's level, and the clock.
import { proxy_log, proxy_get_current_time_nanoseconds } from "@solo-io/proxy-runtime/assembly/imports";
import { inCallback, callbackSerial } from "./callback_scope";

export const LOG_INFO: i32 = 2;
export const LOG_WARN: i32 = 3;
export const LOG_ERROR: i32 = 4;

const scratch64 = memory.data(8);

/** Logs one line prefixed with the filter's name. */
export function logLine(level: i32, message: string): void {
  const bytes = String.UTF8.encode("kafka-filter: " + message);
  proxy_log(<usize>level, changetype<usize>(bytes), bytes.byteLength);
}

let clockSerial: u32 = 0;
let clockValid: bool = false;
let clockNanos: u64 = 0;

/**
 * The host's clock. Inside a data callback it is read once and the same value is returned for the
 * rest of the callback: every frame of one TCP chunk reached the filter at the same moment, and a
 * request's latency is measured from the chunk that carried it to the chunk that carried its
 * response. Outside callbacks every call reads the clock.
 */
export function nowNanos(): u64 {
  if (!inCallback()) return readClock();
  const serial = callbackSerial();
  if (!clockValid || clockSerial != serial) {
    clockNanos = readClock();
    clockSerial = serial;
    clockValid = true;
  }
  return clockNanos;
}

function readClock(): u64 {
  store<u64>(scratch64, 0);
  proxy_get_current_time_nanoseconds(scratch64);
  return load<u64>(scratch64);
}

// One data callback's worth of work. The connection (filter/connection.ts) brackets each Envoy
// data callback with enterCallback()/exitCallback(). Modules that can do per-callback instead of
// per-frame host calls hook in here: the metric registry adds up counter/gauge deltas and sends
// them when the callback ends, and the clock is read once per callback (every frame of a TCP
// chunk arrived at the same time). This module imports no host function itself.

let depth: i32 = 0;
let serial: u32 = 0;
const exitHooks: Array<() => void> = [];

/** Runs `hook` whenever the outermost callback ends (registered once, at module start). */
export function onCallbackExit(hook: () => void): void {
  exitHooks.push(hook);
}

/** True while a data callback is being processed. */
export function inCallback(): bool {
  return depth > 0;
}

/** Changes on every callback: values cached under one serial are valid for that callback only. */
export function callbackSerial(): u32 {
  return serial;
}

export function enterCallback(): void {
  if (depth++ == 0) serial++;
}

export function exitCallback(): void {
  if (depth == 0) return;
  if (--depth > 0) return;
  for (let i = 0; i < exitHooks.length; i++) exitHooks[i]();
}

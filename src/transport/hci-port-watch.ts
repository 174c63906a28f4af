/**
 * An idle serial HCI binding (noble's or bleno's) notices a vanished port only at its next write, which
 * may be minutes away for an adapter between polls or a peripheral waiting for a central. So the device
 * node of a `uart:` adapter is looked for once a second; a native adapter needs nothing (its bindings
 * ask the kernel whether it is up every second).
 */
import { existsSync } from "node:fs";
import type { Clock, TimerHandle } from "../util/clock.js";
import type { HciSelection } from "./hci.js";

const PORT_WATCH_MS = 1000;

/** Calls `onGone` once when the port disappears; returns the function that stops watching. */
export function watchPortGone(hci: HciSelection, clock: Clock, onGone: () => void): () => void {
  if (hci.driver !== "uart") return () => {};
  let timer: TimerHandle | undefined;
  let stopped = false;
  const look = () => {
    timer = undefined;
    if (stopped) return;
    if (!existsSync(hci.port)) {
      stopped = true;
      onGone();
      return;
    }
    timer = clock.setTimeout(look, PORT_WATCH_MS);
    timer.unref?.();
  };
  look();
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
  };
}

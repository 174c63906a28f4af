/**
 * What the supervised adapter (supervisor.ts) tells the rest of the bridge: its events (up, lost, wedged,
 * fatal) and the counters published as link health (`<prefix>/bridge/<bridge id>/health`).
 */
import type { BmsError } from "../../errors.js";

export type AdapterState = "opening" | "up" | "down" | "failed" | "closed";

export type AdapterEvent =
  | { type: "up"; hci: string /** How long it was not usable (0 at the first open). */; downMs: number }
  | { type: "lost"; hci: string; reason: string }
  | { type: "wedged"; hci: string; timeouts: number }
  | { type: "fatal"; hci: string; error: BmsError };

/** Counters for link health (published per bridge). */
export interface AdapterHealth {
  hci: string;
  state: AdapterState;
  /** Times the adapter went away (unplugged, powered off, taken). */
  losses: number;
  /** Times it was reset because it stopped answering. */
  resets: number;
  /** Times it came back after a loss or a reset. */
  recoveries: number;
  /** Operations waiting or running on it. */
  queueDepth: number;
  lastProblem?: { reason: string; time: number };
}

/** The options of an emulated battery, of one connection to it, and what a scenario change replaces. */
import type { Clock } from "../util/clock.js";
import type { Behavior } from "./behaviors/behavior.js";
import type { FaultSpec } from "./behaviors/faults.js";
import type { WirePacing } from "./behaviors/media.js";
import type { BatteryModel } from "./model.js";
import type { ProfileOverrides } from "./profile.js";
import type { Responder } from "./responder.js";
import type { TimelineEntry } from "./timeline.js";

/** BLE notifications carry 20 bytes on the DP04S (ATT MTU 23, docs/protocol.md §9). */
export const DEFAULT_NOTIFY_SIZE = 20;

export interface EmulatedBatteryOptions {
  /** Overrides merged over DEFAULT_PROFILE (after the scenario's own overrides). */
  profile?: ProfileOverrides;
  /** Scenario profile overrides, applied before `profile`. */
  scenarioProfile?: ProfileOverrides;
  timeline?: readonly TimelineEntry[];
  faults?: readonly FaultSpec[];
  /** Extra behaviour layers, after the faults (they wrap them). */
  behaviors?: readonly Behavior[];
  clock?: Clock;
  /** Simulated seconds per real second (default 1; 0 freezes time except `advance`). */
  speed?: number;
  /** Seed for probabilistic faults (default 1). */
  seed?: number;
  notifySize?: number;
  /**
   * The battery's MAC (e.g. `--mac`): shown in status lines and carried in its BLE manufacturer data.
   * Without it a battery served over BLE takes its controller's address, as a real dongle does.
   */
  address?: string;
  /** Identity until a BLE controller gives one, when `address` is not set (default A5:C2:37:00:00:01). */
  placeholderAddress?: string;
  /** Scenario name, for status and the console. */
  scenarioName?: string;
  /** Replaces the JBD responder (e.g. a replay script). */
  responder?: (model: BatteryModel) => Responder;
}

export interface ConnectOptions {
  /** How the central is attached (default BLE: 20-byte notifications, no pacing). */
  medium?: "ble" | "wire";
  /** For a wire: line time per byte and delivery pieces (default 9600 baud, whole reply). */
  pacing?: WirePacing;
}

/** What a scenario change replaces (see `load`). */
export type BatterySetup = Pick<
  EmulatedBatteryOptions,
  "profile" | "scenarioProfile" | "timeline" | "faults" | "responder" | "scenarioName"
>;

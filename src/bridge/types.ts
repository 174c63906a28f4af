/**
 * The seam between the device side of the bridge (client, poller) and the MQTT side (publisher,
 * availability, discovery). The poller produces BatteryReadings; the publisher consumes them.
 */
import type { BmsErrorCode, FailureCause } from "../errors.js";
import type { BasicInfo } from "../protocol/registers/basic-info.js";
import type { CellVoltages } from "../protocol/registers/cell-voltages.js";

export interface BatteryReading {
  /** Topic id: the configured name, or "1".."N" in config order. */
  batteryId: string;
  /** Canonical address (see src/transport/address.ts). */
  address: string;
  /** Per-battery reading sequence number, starting at 1 for each bridge process. */
  seq: number;
  /** Clock time (ms) when the 0x04 reply completing this reading was accepted. */
  time: number;
  basic: BasicInfo;
  cells: CellVoltages;
  /** 0x05 model string, read once per connection; absent until read. */
  model?: string;
}

export type AvailabilityState = "online" | "offline";

export interface AvailabilityChange {
  batteryId: string;
  state: AvailabilityState;
  /** Why, in a few words ("no valid reading for 30 s: not advertising (…)", "reading ok"). */
  reason: string;
  /** Going offline: the kind of the last failure (not advertising, no reply, adapter lost, …). */
  cause?: FailureCause;
  time: number;
}

/**
 * How one poll of a battery went (link health, src/bridge/state/link-stats.ts). A poll cut short by the
 * bridge stopping is not reported.
 */
export interface PollOutcome {
  batteryId: string;
  time: number;
  ok: boolean;
  /** This poll had to open a link again because the previous one was lost (not a planned rotation). */
  reconnected: boolean;
  error?: { code: BmsErrorCode; cause: FailureCause; message: string };
  /** dBm as the link last knew it (BLE: advertisement or connection); absent when unknown. */
  rssi?: number;
}

/** A bridge feature (publisher, availability, discovery, energy, control…): constructors only assign. */
export interface BridgeFeature {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The typed event bus bridge features talk over (Z2M-style, without globals): the poller emits,
 * the battery store, the publisher, Home Assistant discovery, energy counters and bank view listen; the bank
 * tracker emits the bank it computed.
 */

import type { AdapterEvent } from "../transport/open-link.js";
import type { BankUpdate } from "./state/bank-tracker.js";
import type { AvailabilityChange, BatteryReading, PollOutcome } from "./types.js";

export interface BridgeEventMap {
  /** A complete, checksum-valid 0x03 + 0x04 reading. */
  reading: BatteryReading;
  /** A battery went online or offline (stale). */
  availability: AvailabilityChange;
  /** The model string (0x05) or other static device facts became known or changed. */
  deviceInfo: { batteryId: string; address: string; model?: string; softwareVersionRaw?: number };
  /** The bank was recomputed (state/bank-tracker.ts): once per window, at once when a battery goes offline. */
  bank: BankUpdate;
  /** How one poll went (link health). */
  poll: PollOutcome;
  /** The site changed (src/bridge/site): a remote battery's values, one gone offline, or who publishes the bank. */
  site: SiteChange;
  /** A BLE adapter came up, was lost, was reset, or is given up on (src/transport/ble/supervisor.ts). */
  adapter: AdapterEvent;
}

export type SiteChange =
  | { kind: "battery"; batteryId: string }
  | { kind: "offline"; batteryId?: string }
  | { kind: "role"; bankPublisher: boolean };

type Listener<T> = (payload: T) => void;

export class EventBus {
  readonly #listeners = new Map<keyof BridgeEventMap, Set<Listener<never>>>();

  on<K extends keyof BridgeEventMap>(event: K, listener: Listener<BridgeEventMap[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Listeners run synchronously in registration order; one throwing does not stop the others. */
  emit<K extends keyof BridgeEventMap>(event: K, payload: BridgeEventMap[K]): Error[] {
    const errors: Error[] = [];
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<BridgeEventMap[K]>)(payload);
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return errors;
  }
}

/**
 * The state every feature shares: one battery store and one bank tracker (docs/architecture.md "Bridge
 * composition"). The store listens from the start, before any feature; the bank tracker is attached once
 * the features have started (`attachBank`), so each event reaches the features before the bank it changes.
 */

import type { BankMode } from "../../config/schema.js";
import type { Clock } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import { SiteView } from "../site/site-view.js";
import { BankTracker } from "./bank-tracker.js";
import { BatteryStore } from "./battery-store.js";

export interface BridgeState {
  store: BatteryStore;
  bank: BankTracker;
  /** The other bridges of the site and their batteries (fed by the site feature; empty without one). */
  site: SiteView;
}

export interface BridgeStateOptions {
  /** Configured battery ids in battery order. */
  batteryIds: readonly string[];
  /** How long the bank waits to collect a poll round's readings (ms); 0 = on every reading. */
  bankWindowMs: number;
  /** This bridge on the site; default "local" (a lone bridge never compares it with anything). */
  bridgeId?: string;
  /** Default "auto". */
  bank?: BankMode;
}

export function createBridgeState(
  ctx: { bus: EventBus; clock: Clock },
  options: BridgeStateOptions,
): BridgeState {
  const store = new BatteryStore(ctx.bus, options.batteryIds);
  // Stryker disable next-line StringLiteral: SiteView treats every mode but "off" and "always" as "auto" (site-view.ts `bankPublisher`), and nothing else reads it
  const bankMode = options.bank ?? "auto";
  const site = new SiteView(options.bridgeId ?? "local", bankMode, options.batteryIds);
  const bank = new BankTracker({ ...ctx, store, site }, { windowMs: options.bankWindowMs });
  return { store, bank, site };
}

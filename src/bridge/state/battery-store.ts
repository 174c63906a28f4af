/**
 * The ONE per-battery state every feature reads (zigbee2mqtt's shared state, without globals): the latest
 * reading, its values derived once (battery-values.ts), availability with its reason, the device facts and
 * the link health (link-stats.ts).
 * It listens on the EventBus before any feature does, so a feature's handler of the same event already
 * sees the update. Features keep only what is theirs (which topics they have retained, energy counters).
 */
import type { EventBus } from "../event-bus.js";
import type { AvailabilityState, BatteryReading } from "../types.js";
import type { BankMember } from "./bank.js";
import { type BatteryValues, valuesFromReading } from "./battery-values.js";
import { LinkStats } from "./link-stats.js";

export interface BatteryState {
  readonly batteryId: string;
  address: string | undefined;
  /** Undefined until the session says. */
  availability: AvailabilityState | undefined;
  /** Why it changed last ("reading ok", "no valid reading for 30 s; …"). */
  availabilityReason: string | undefined;
  /** The latest reading (kept while offline: whether to show it is each feature's rule). */
  reading: BatteryReading | undefined;
  /** `reading`'s values, derived once. */
  values: BatteryValues | undefined;
  /** 0x05 model (also when a reading predates it) and firmware version byte. */
  model: string | undefined;
  softwareVersionRaw: number | undefined;
  /** Poll outcomes: link quality, reads, reconnects, last error, RSSI. */
  readonly link: LinkStats;
}

export class BatteryStore {
  readonly #batteries = new Map<string, BatteryState>();
  readonly #configured: number;
  readonly #off: Array<() => void>;

  /** `batteryIds`: the configured batteries, in battery order (others are added when first heard of). */
  constructor(bus: EventBus, batteryIds: readonly string[] = []) {
    for (const id of batteryIds) this.#entry(id);
    this.#configured = batteryIds.length;
    this.#off = [
      bus.on("reading", (reading) => this.#onReading(reading)),
      bus.on("availability", (change) => {
        const entry = this.#entry(change.batteryId);
        entry.availability = change.state;
        entry.availabilityReason = change.reason;
      }),
      bus.on("poll", (outcome) => this.#entry(outcome.batteryId).link.record(outcome)),
      bus.on("deviceInfo", (info) => {
        const entry = this.#entry(info.batteryId);
        entry.address = info.address;
        if (info.model !== undefined) entry.model = info.model;
        if (info.softwareVersionRaw !== undefined) entry.softwareVersionRaw = info.softwareVersionRaw;
      }),
    ];
  }

  /** Configured batteries, or the batteries heard of when none was configured. */
  get size(): number {
    return Math.max(this.#configured, this.#batteries.size);
  }

  get(batteryId: string): BatteryState | undefined {
    return this.#batteries.get(batteryId);
  }

  /** Every battery in battery order (configured first, then as first heard of). */
  all(): BatteryState[] {
    return [...this.#batteries.values()];
  }

  /** The online batteries with values (those `accept` admits), keyed by id in battery order: the bank's input. */
  onlineMembers(accept: (member: BankMember) => boolean = () => true): Map<string, BankMember> {
    const members = new Map<string, BankMember>();
    for (const state of this.#batteries.values()) {
      if (state.availability !== "online" || !state.reading || !state.values) continue;
      const member = { time: state.reading.time, values: state.values };
      if (accept(member)) members.set(state.batteryId, member);
    }
    return members;
  }

  /** Stops listening (the bridge's stop). */
  detach(): void {
    for (const off of this.#off.splice(0)) off();
  }

  #onReading(reading: BatteryReading): void {
    const entry = this.#entry(reading.batteryId);
    entry.address = reading.address;
    if (reading.model !== undefined) entry.model = reading.model;
    entry.softwareVersionRaw = reading.basic.softwareVersionRaw;
    // a reading taken before the model was read (0x05) carries the model known since; else it is kept as is
    entry.reading = entry.model === undefined ? reading : { ...reading, model: entry.model };
    entry.values = valuesFromReading(reading);
    // a reading is proof of life, whatever order a caller emitted the events in
    entry.availability = "online";
  }

  #entry(batteryId: string): BatteryState {
    let entry = this.#batteries.get(batteryId);
    if (!entry) {
      entry = {
        batteryId,
        address: undefined,
        availability: undefined,
        availabilityReason: undefined,
        reading: undefined,
        values: undefined,
        model: undefined,
        softwareVersionRaw: undefined,
        link: new LinkStats(),
      };
      this.#batteries.set(batteryId, entry);
    }
    return entry;
  }
}

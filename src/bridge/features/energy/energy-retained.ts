/**
 * The broker's retained energy counters of this bridge's own batteries, read once at start
 * (docs/features-ha-energy-bank.md "After a crash"): after a crash the state file is up to `saveIntervalMs`
 * old, while the retained `<prefix>/battery/<id>/energy/<field>` holds the last value published; starting
 * from the file alone would step the counter back, which Home Assistant (`total_increasing`) takes for a
 * meter reset. Read as the site feature reads the broker (src/bridge/site/site-feature.ts): subscribe, a
 * round trip (MqttPort.sync: the retained messages have arrived), unsubscribe — one topic filter per own
 * battery, so no other bridge's battery is read.
 */
import type { MqttPort } from "../../mqtt/port.js";
import { ENERGY_FIELDS, type EnergyCounters, shownValue } from "./energy.js";

export class RetainedCounters {
  /** battery id → wire field (`charged_kwh`, …) → the retained value. */
  readonly #values = new Map<string, Map<string, number>>();
  #held: Array<() => Promise<void>> = [];

  /** Subscribes to each battery's `energy/+`; the retained values arrive after each SUBACK. */
  async subscribe(mqtt: MqttPort, prefix: string, batteryIds: Iterable<string>): Promise<void> {
    for (const id of new Set(batteryIds)) {
      const off = await mqtt.subscribe(`${prefix}/battery/${id}/energy/+`, (topic, payload) => {
        const value = Number(payload.toString());
        if (payload.length === 0 || !Number.isFinite(value) || value < 0) return;
        const fields = this.#values.get(id) ?? new Map<string, number>();
        fields.set(topic.slice(topic.lastIndexOf("/") + 1), value);
        this.#values.set(id, fields);
      });
      this.#held.push(off);
    }
  }

  /**
   * After a round trip through the broker: what it retained, by battery id, and the subscriptions dropped
   * (from here on they would only bring this bridge's own counters back). Undefined when the port is not
   * connected (nothing came back): the next connect reads again.
   */
  async read(mqtt: MqttPort): Promise<Map<string, ReadonlyMap<string, number>> | undefined> {
    await mqtt.sync?.();
    if (!mqtt.connected) return undefined;
    await this.close();
    return this.#values;
  }

  async close(): Promise<void> {
    const held = this.#held;
    this.#held = [];
    await Promise.all(held.map((off) => off()));
  }
}

/**
 * Counters that start from the larger of the saved and the retained value, field by field: each counter
 * is raised by what the retained value exceeds the saved one (`loaded`), so what was counted since the
 * start (a broker down at start: readings counted before it could be read) is kept on top. A retained
 * value is the saved one as its topic shows it after a clean stop (0.025 for 0.0249…): no raise then.
 */
export function raiseToRetained(
  counters: EnergyCounters,
  loaded: EnergyCounters,
  retained: ReadonlyMap<string, number>,
): EnergyCounters {
  const raised = { ...counters };
  for (const f of ENERGY_FIELDS) {
    const value = retained.get(f.wire) ?? 0;
    if (value > shownValue(loaded[f.key], f.unit)) raised[f.key] += value - loaded[f.key];
  }
  return raised;
}

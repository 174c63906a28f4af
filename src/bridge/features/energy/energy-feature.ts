/**
 * The energy-counter feature: integrates every reading (energy.ts), publishes the counters retained on
 * `<prefix>/battery/<id>/energy/<field>` and the bank total on `<prefix>/bank/energy/<field>`, and
 * persists them (energy-store.ts) every `saveIntervalMs` and on stop. The bank total goes out with every
 * bank recomputation (`bank` event: once per window, not on each of the N readings of a poll round).
 */
import type { Logger } from "../../../log/logger.js";
import type { Clock, TimerHandle } from "../../../util/clock.js";
import type { EventBus } from "../../event-bus.js";
import type { MqttPort } from "../../mqtt/port.js";
import { RetainedTopics } from "../../mqtt/retained.js";
import type { BatteryReading, BridgeFeature } from "../../types.js";
import {
  breakContinuity,
  ENERGY_FIELDS,
  type EnergyCounters,
  type EnergyTrack,
  integrate,
  sumCounters,
  zeroCounters,
} from "./energy.js";
import { createEnergyStore, type EnergyState, type EnergyStore } from "./energy-store.js";

export interface EnergyFeatureContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
}

export interface EnergyFeatureOptions {
  /** Topic prefix, e.g. "accusolar". */
  prefix: string;
  /** State file (JSON); its directory must exist and be writable. */
  statePath: string;
  /** Longest interval still integrated (ms); 3 × the poll interval is a good choice. */
  maxGapMs: number;
  /** How often dirty counters are written (ms). Default 60 000. */
  saveIntervalMs?: number;
  /** Configured batteries; when given, stored counters of other addresses are kept but not published. */
  batteries?: ReadonlyArray<{ id: string; address: string }>;
  /** The configured `mqtt.qos`. */
  qos: 0 | 1 | 2;
}

export interface EnergyFeature extends BridgeFeature {
  /** Current counters of a battery by id (undefined before its first reading or stored value). */
  counters(batteryId: string): EnergyCounters | undefined;
  /** Sum over the published batteries. */
  bankCounters(): EnergyCounters;
}

interface Tracked {
  batteryId: string;
  track: EnergyTrack;
}

const DECIMALS: Record<"kWh" | "Ah", number> = { kWh: 4, Ah: 3 };

export function createEnergyFeature(ctx: EnergyFeatureContext, options: EnergyFeatureOptions): EnergyFeature {
  const log = ctx.logger.child("energy");
  const store: EnergyStore = createEnergyStore({ path: options.statePath, logger: log, clock: ctx.clock });
  const saveEvery = options.saveIntervalMs ?? 60_000;
  const configured = options.batteries ? new Set(options.batteries.map((b) => b.address)) : undefined;
  const byAddress = new Map<string, Tracked>();
  const topics = new RetainedTopics({ ...ctx, logger: log }, { qos: options.qos });
  const unsubscribers: Array<() => void> = [];
  let timer: TimerHandle | undefined;
  let dirty = false;
  let running = false;
  let saving: Promise<void> = Promise.resolve();

  const visible = (): Tracked[] =>
    [...byAddress.entries()].filter(([address]) => !configured || configured.has(address)).map(([, t]) => t);

  const publishCounters = (topicBase: string, counters: EnergyCounters): void => {
    for (const f of ENERGY_FIELDS) {
      const text = String(Number(counters[f.key].toFixed(DECIMALS[f.unit])));
      void topics.publishChanged(`${topicBase}/energy/${f.wire}`, text);
    }
  };

  const publishBattery = (t: Tracked): void =>
    publishCounters(`${options.prefix}/battery/${t.batteryId}`, t.track.counters);

  const publishBank = (members: Tracked[] = visible()): void => {
    if (members.length === 0) return;
    publishCounters(`${options.prefix}/bank`, sumCounters(members.map((t) => t.track.counters)));
  };
  const publishAll = (): void => {
    const members = visible();
    for (const t of members) publishBattery(t);
    publishBank(members);
  };

  const onReading = (reading: BatteryReading): void => {
    const tracked = byAddress.get(reading.address) ?? {
      batteryId: reading.batteryId,
      track: { counters: zeroCounters() },
    };
    tracked.batteryId = reading.batteryId;
    const sample = { time: reading.time, voltageV: reading.basic.voltageV, currentA: reading.basic.currentA };
    tracked.track = integrate(tracked.track, sample, { maxGapMs: options.maxGapMs });
    byAddress.set(reading.address, tracked);
    dirty = true;
    // Only this battery's counters changed: publish them and the bank total, not every battery's.
    if (!configured || configured.has(reading.address)) publishBattery(tracked);
  };

  const onOffline = (batteryId: string): void => {
    for (const t of byAddress.values()) if (t.batteryId === batteryId) t.track = breakContinuity(t.track);
  };

  const save = (): Promise<void> => {
    if (!dirty) return saving;
    dirty = false;
    const state: EnergyState = new Map();
    for (const [address, t] of byAddress)
      state.set(address, { batteryId: t.batteryId, counters: t.track.counters });
    saving = saving
      .then(() => store.save(state, ctx.clock.now()))
      .catch((error: unknown) => {
        dirty = true;
        log.error(String(error instanceof Error ? error.message : error));
      });
    return saving;
  };

  const arm = (): void => {
    if (!running) return;
    timer = ctx.clock.setTimeout(() => {
      void save().then(arm);
    }, saveEvery);
    timer.unref?.();
  };

  return {
    name: "energy",
    counters: (batteryId) => visible().find((t) => t.batteryId === batteryId)?.track.counters,
    bankCounters: () => sumCounters(visible().map((t) => t.track.counters)),
    async start() {
      const loaded = await store.load();
      for (const [address, entry] of loaded.state) {
        byAddress.set(address, { batteryId: entry.batteryId, track: { counters: entry.counters } });
      }
      log.info(`energy counters loaded for ${loaded.state.size} battery(ies) from ${loaded.source}`);
      unsubscribers.push(
        ctx.bus.on("reading", onReading),
        ctx.bus.on("availability", (change) => {
          if (change.state === "offline") onOffline(change.batteryId);
        }),
        ctx.bus.on("bank", () => publishBank()),
        ctx.mqtt.onConnect(() => {
          topics.forget();
          publishAll();
        }),
      );
      running = true;
      publishAll();
      arm();
    },
    async stop() {
      running = false;
      if (timer !== undefined) ctx.clock.clearTimeout(timer);
      timer = undefined;
      for (const off of unsubscribers.splice(0)) off();
      await save();
    },
  };
}

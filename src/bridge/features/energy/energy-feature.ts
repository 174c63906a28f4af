/**
 * The energy-counter feature: integrates every reading (energy.ts), publishes the counters retained on
 * `<prefix>/battery/<id>/energy/<field>` and the bank total on `<prefix>/bank/energy/<field>`, and
 * persists them (energy-store.ts) every `saveIntervalMs` and on stop. The bank total goes out with every
 * bank recomputation (`bank` event: once per window, not on each of the N readings of a poll round).
 *
 * The bank total is the bank's (docs/features-ha-energy-bank.md "Energy counters"): on a site of several
 * bridges only the bank publisher publishes it (it alone gets `bank` events; `state.bank.publisher`), over
 * every battery of the site: its own counters and, for the other bridges' batteries, their retained
 * `energy/<field>` (the site feature reads them while elected, into the SiteView). A bridge losing the role
 * leaves its last total, which was the whole site's; the next publisher's continues from it. A total another
 * bridge wrote meanwhile (two bridges that elected themselves at once) is replaced at the next window.
 *
 * At start each own battery's counters begin from the larger of the saved and the broker's retained value
 * (energy-retained.ts: the state file lags after a crash); nothing is published before the broker was read,
 * so no step back is ever sent, while readings are counted from the first.
 */
import type { Logger } from "../../../log/logger.js";
import type { Clock, TimerHandle } from "../../../util/clock.js";
import type { EventBus } from "../../event-bus.js";
import type { MqttPort } from "../../mqtt/port.js";
import { RetainedTopics } from "../../mqtt/retained.js";
import { BankOverwrites } from "../../site/bank-overwrites.js";
import type { BridgeState } from "../../state/bridge-state.js";
import type { BatteryReading, BridgeFeature } from "../../types.js";
import {
  breakContinuity,
  ENERGY_FIELDS,
  type EnergyCounters,
  type EnergyTrack,
  integrate,
  shownValue,
  sumCounters,
  zeroCounters,
} from "./energy.js";
import { RetainedCounters, raiseToRetained } from "./energy-retained.js";
import { createEnergyStore, type EnergyState, type EnergyStore } from "./energy-store.js";

export interface EnergyFeatureContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
  /** Whether this bridge publishes the bank, and the other bridges' batteries' counters (state.site). */
  state: BridgeState;
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
  /** Sum over the published batteries and, on a site, the other bridges' (what the bank total says). */
  bankCounters(): EnergyCounters;
}

interface Tracked {
  batteryId: string;
  track: EnergyTrack;
}

export function createEnergyFeature(ctx: EnergyFeatureContext, options: EnergyFeatureOptions): EnergyFeature {
  const log = ctx.logger.child("energy");
  const store: EnergyStore = createEnergyStore({ path: options.statePath, logger: log, clock: ctx.clock });
  const saveEvery = options.saveIntervalMs ?? 60_000;
  const configured = options.batteries ? new Set(options.batteries.map((b) => b.address)) : undefined;
  const byAddress = new Map<string, Tracked>();
  const topics = new RetainedTopics({ ...ctx, logger: log }, { qos: options.qos });
  /** The bank total's own helper: forgotten as a whole when another bridge may have written it. */
  const bankTopics = new RetainedTopics({ ...ctx, logger: log }, { qos: options.qos });
  const bankBase = `${options.prefix}/bank`;
  /** A total another bridge wrote (four topics, once per bank window) is sent again at the next window. */
  const overwrites = new BankOverwrites({ ...ctx, logger: log }, `${bankBase}/energy/+`, bankTopics);
  const unsubscribers: Array<() => void> = [];
  let timer: TimerHandle | undefined;
  let dirty = false;
  let running = false;
  let saving: Promise<void> = Promise.resolve();
  /** The counters as the state file had them, by address: what the broker's retained values are compared to. */
  const loaded = new Map<string, EnergyCounters>();
  const retained = new RetainedCounters();
  /** False until the broker's retained counters were read: nothing is published before (no step back). */
  let brokerRead = false;

  const visible = (): Tracked[] =>
    [...byAddress.entries()].filter(([address]) => !configured || configured.has(address)).map(([, t]) => t);

  const publishCounters = (via: RetainedTopics, topicBase: string, counters: EnergyCounters): void => {
    if (!brokerRead) return;
    for (const f of ENERGY_FIELDS) {
      const text = String(shownValue(counters[f.key], f.unit));
      void via.publishChanged(`${topicBase}/energy/${f.wire}`, text);
    }
  };

  const publishBattery = (t: Tracked): void =>
    publishCounters(topics, `${options.prefix}/battery/${t.batteryId}`, t.track.counters);

  /** The other bridges' batteries' counters as retained (empty unless this bridge publishes the bank). */
  const remoteCounters = (): EnergyCounters[] =>
    [...ctx.state.site.remoteEnergy().values()].map((fields) => {
      const counters = zeroCounters();
      for (const f of ENERGY_FIELDS) counters[f.key] = fields.get(f.wire) ?? 0;
      return counters;
    });

  const bankTotal = (members: Tracked[]): EnergyCounters =>
    sumCounters([...members.map((t) => t.track.counters), ...remoteCounters()]);

  const publishBank = (members: Tracked[] = visible()): void => {
    // the bank's: only its publisher's, once it has read the site (docs/mqtt.md "Several bridges on one site")
    if (!ctx.state.bank.publisher) return;
    if (running) overwrites.follow();
    if (members.length === 0 && ctx.state.site.remoteEnergy().size === 0) return;
    publishCounters(bankTopics, bankBase, bankTotal(members));
  };

  const publishAll = (): void => {
    const members = visible();
    for (const t of members) publishBattery(t);
    publishBank(members);
  };

  /** Raises each own battery's counters to the broker's retained ones, then publishes them all. */
  const readBroker = async (): Promise<void> => {
    const values = await retained.read(ctx.mqtt);
    if (values === undefined || brokerRead || !running) return;
    const own = new Map([...byAddress].map(([address, t]) => [address, t.batteryId]));
    for (const b of options.batteries ?? []) own.set(b.address, b.id);
    for (const [address, batteryId] of own) {
      const fields = values.get(batteryId);
      if (fields === undefined || (configured && !configured.has(address))) continue;
      const tracked = byAddress.get(address) ?? { batteryId, track: { counters: zeroCounters() } };
      const from = loaded.get(address) ?? zeroCounters();
      const counters = raiseToRetained(tracked.track.counters, from, fields);
      if (ENERGY_FIELDS.every((f) => counters[f.key] === tracked.track.counters[f.key])) continue;
      log.warn(
        `energy counters of ${batteryId} continue from the broker's retained values (the state file was older)`,
      );
      byAddress.set(address, { batteryId: tracked.batteryId, track: { ...tracked.track, counters } });
      dirty = true;
    }
    brokerRead = true;
    publishAll();
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
    bankCounters: () => bankTotal(visible()),
    async start() {
      const stored = await store.load();
      for (const [address, entry] of stored.state) {
        byAddress.set(address, { batteryId: entry.batteryId, track: { counters: entry.counters } });
        loaded.set(address, entry.counters);
      }
      log.info(`energy counters loaded for ${stored.state.size} battery(ies) from ${stored.source}`);
      const ids = [...stored.state.values()].map((entry) => entry.batteryId);
      await retained.subscribe(ctx.mqtt, options.prefix, options.batteries?.map((b) => b.id) ?? ids);
      unsubscribers.push(
        ctx.bus.on("reading", onReading),
        ctx.bus.on("availability", (change) => {
          if (change.state === "offline") onOffline(change.batteryId);
        }),
        ctx.bus.on("bank", () => publishBank()),
        ctx.bus.on("site", (change) => {
          if (change.kind !== "role") return;
          if (!change.bankPublisher) return void overwrites.drop();
          // just elected: whatever this bridge last sent there, another bridge may have written since
          bankTopics.forget();
          publishBank();
        }),
        ctx.mqtt.onConnect(() => {
          // not awaited: a failure is a line, never an unhandled rejection (which would end the process)
          if (!brokerRead)
            return void readBroker().catch((error: unknown) =>
              log.warn(`reading the retained counters: ${String(error)}`),
            );
          topics.forget();
          bankTopics.forget();
          publishAll();
        }),
      );
      running = true;
      // connected already (a port started before): one round trip; else the first connect reads it
      if (ctx.mqtt.connected) await readBroker();
      arm();
    },
    async stop() {
      running = false;
      if (timer !== undefined) ctx.clock.clearTimeout(timer);
      timer = undefined;
      for (const off of unsubscribers.splice(0)) off();
      await retained.close();
      await overwrites.close();
      await save();
    },
  };
}

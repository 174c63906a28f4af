/**
 * Home Assistant MQTT discovery (`--ha-discovery`, HA_DISCOVERY=1). Publishes one retained config per
 * entity for each battery (ha-entities.ts) once its first reading shows its shape (cell and probe
 * count), and for the bank (ha-bank-entities.ts); again when a battery's shape or device facts change,
 * on every MQTT (re)connect and when Home Assistant announces itself (`<discovery_prefix>/status` =
 * `online`).
 *
 * Stale configs (stale-configs.ts): at start (or at the first connect, if the broker is down at start)
 * the bridge collects the retained configs it owns for `staleScanMs`, and clears with an empty retained payload those of batteries no longer configured and
 * those a configured battery's current entity set no longer contains (e.g. fewer cells).
 */
import type { Logger } from "../../../log/logger.js";
import type { Clock } from "../../../util/clock.js";
import type { EventBus } from "../../event-bus.js";
import type { MqttPort } from "../../mqtt/port.js";
import type { BatteryReading, BridgeFeature } from "../../types.js";
import { bankEntitiesFor } from "./ha-bank-entities.js";
import { type BatteryShape, entitiesFor, type HaEntity } from "./ha-entities.js";
import {
  bankTarget,
  batteryTarget,
  DEFAULT_DISCOVERY_PREFIX,
  deviceIdentifier,
  discoveryMessage,
  expireAfterForPoll,
  type HaBatteryFacts,
  type HaPayloadOptions,
  type HaTarget,
} from "./ha-payload.js";
import { type OwnerVerdict, StaleConfigs } from "./stale-configs.js";

export interface HaDiscoveryContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
}

export interface HaDiscoveryOptions {
  prefix: string;
  /** Default "homeassistant". */
  discoveryPrefix?: string;
  /** Poll interval (s) of batteries that do not set their own; sets `expire_after`. Default 5. */
  pollIntervalS?: number;
  /**
   * Configured batteries (BridgeConfig.batteries fits). Without it, configs of removed batteries cannot be
   * recognised as stale; `name` becomes the HA device name, `pollIntervalS` that battery's `expire_after`.
   */
  batteries?: ReadonlyArray<{ id: string; address: string; name?: string; pollIntervalS?: number }>;
  /** Also announce the energy counters (the energy feature is running). */
  energy: boolean;
  /** Announce FET switches (MOSFET control is allowed). Default false. */
  control?: boolean;
  /** Also announce the "Battery bank" device (the bank-view feature is running). */
  bank: boolean;
  /** Bridge version for the `origin` block. */
  swVersion: string;
  /** How long to collect retained configs at start (ms). Default 2000. */
  staleScanMs?: number;
}

export interface HaDiscoveryFeature extends BridgeFeature {
  /** Resolves when the start-up stale-config scan is over (tests, diagnostics). */
  readonly scanned: Promise<void>;
}

/** A device whose configs we publish: a battery (known after its first reading) or the bank. */
interface Announced {
  target?: HaTarget;
  entities?: HaEntity[];
  /** Config topics currently published. */
  topics: Set<string>;
}

interface BatteryState extends Announced {
  facts: HaBatteryFacts;
  shape?: BatteryShape;
}

export function createHaDiscovery(ctx: HaDiscoveryContext, options: HaDiscoveryOptions): HaDiscoveryFeature {
  const log = ctx.logger.child("ha-discovery");
  const payloadOptions: HaPayloadOptions = {
    prefix: options.prefix,
    discoveryPrefix: options.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX,
    expireAfterS: expireAfterForPoll(options.pollIntervalS ?? 5),
    origin: { name: "bms-bridge", sw_version: options.swVersion },
  };
  const bankId = bankTarget(payloadOptions).identifier;
  const configuredIds = options.batteries && [
    ...options.batteries.map((b) => deviceIdentifier(b.address)),
    ...(options.bank ? [bankId] : []),
  ];
  const batteries = new Map<string, BatteryState>();
  const bank: Announced = { topics: new Set() };
  const stale = new StaleConfigs();
  const cleanups: Array<() => void | Promise<void>> = [];
  const scanAbort = new AbortController();
  let resolveScanned: () => void = () => {};
  const scanned = new Promise<void>((resolve) => {
    resolveScanned = resolve;
  });

  const send = (topic: string, payload: string): void => {
    ctx.mqtt.publish(topic, payload, { qos: 1, retain: true }).catch((error: unknown) => {
      log.warn(`cannot publish ${topic}: ${String(error)}`);
    });
  };

  const announced = (): Announced[] => [...batteries.values(), bank];

  const publish = (device: Announced): void => {
    const { target, entities } = device;
    if (!target || !entities) return;
    const messages = entities.map((e) => discoveryMessage(e, target, payloadOptions));
    const next = new Set(messages.map((m) => m.topic));
    for (const topic of device.topics) if (!next.has(topic)) send(topic, "");
    for (const m of messages) send(m.topic, JSON.stringify(m.payload));
    device.topics = next;
    log.debug(() => `announced ${messages.length} entities for ${target.identifier}`);
    clearStale();
  };

  const verdict = (uniqueId: string): OwnerVerdict => {
    const owns = (identifier: string) => uniqueId.startsWith(`${identifier}_`);
    if (configuredIds !== undefined && !configuredIds.some(owns)) return "removed";
    const known = announced().some((d) => d.target !== undefined && owns(d.target.identifier));
    return known ? "superseded" : "pending";
  };

  const clearStale = (): void => {
    const current = new Set(announced().flatMap((d) => [...d.topics]));
    for (const topic of stale.takeStale(current, verdict)) {
      send(topic, "");
      log.info(`cleared stale Home Assistant config ${topic}`);
    }
  };

  const configuredFacts = (batteryId: string, address: string): HaBatteryFacts => {
    const facts: HaBatteryFacts = { batteryId, address };
    const configured = options.batteries?.find((b) => b.id === batteryId);
    if (configured?.name !== undefined) facts.name = configured.name;
    if (configured?.pollIntervalS !== undefined)
      facts.expireAfterS = expireAfterForPoll(configured.pollIntervalS);
    return facts;
  };

  /** Re-derives a battery's target and entities; publishes when anything it announces changed. */
  const update = (state: BatteryState, facts: HaBatteryFacts, shape: BatteryShape | undefined): void => {
    const changed =
      (shape !== undefined && JSON.stringify(shape) !== JSON.stringify(state.shape)) ||
      JSON.stringify(facts) !== JSON.stringify(state.facts);
    state.facts = facts;
    if (shape) state.shape = shape;
    if (!changed || !state.shape) return;
    state.target = batteryTarget(facts, payloadOptions);
    state.entities = entitiesFor(state.shape);
    publish(state);
  };

  const onReading = (reading: BatteryReading): void => {
    const state = batteries.get(reading.batteryId) ?? {
      facts: configuredFacts(reading.batteryId, reading.address),
      topics: new Set<string>(),
    };
    batteries.set(reading.batteryId, state);
    const facts: HaBatteryFacts = { ...state.facts, address: reading.address };
    facts.softwareVersionRaw = reading.basic.softwareVersionRaw;
    if (reading.model !== undefined) facts.model = reading.model;
    update(state, facts, {
      cellCount: reading.cells.cellsMv.length,
      ntcCount: reading.basic.temperaturesC.length,
      hasFullCharge: reading.basic.extension !== undefined,
      energy: options.energy,
      control: options.control ?? false,
    });
    if (options.bank && !bank.target) {
      bank.target = bankTarget(payloadOptions);
      bank.entities = bankEntitiesFor({ energy: options.energy });
      publish(bank);
    }
  };

  const republishAll = (): void => {
    for (const device of announced()) publish(device);
  };

  /** The scan needs a live session: with the broker down at start it runs at the first connect. */
  let scanStarted = false;
  const startScan = (): void => {
    if (scanStarted) return;
    scanStarted = true;
    void scan();
  };

  const scan = async (): Promise<void> => {
    try {
      const windowMs = options.staleScanMs ?? 2000;
      await stale.scan(ctx, payloadOptions.discoveryPrefix, options.prefix, windowMs, scanAbort.signal);
      clearStale();
    } catch (error) {
      if (!scanAbort.signal.aborted) log.warn(`stale Home Assistant config scan failed: ${String(error)}`);
    } finally {
      resolveScanned();
    }
  };

  return {
    name: "ha-discovery",
    scanned,
    async start() {
      cleanups.push(
        ctx.bus.on("reading", onReading),
        ctx.bus.on("deviceInfo", (info) => {
          const state = batteries.get(info.batteryId);
          if (!state) return;
          const facts = { ...state.facts };
          if (info.model !== undefined) facts.model = info.model;
          if (info.softwareVersionRaw !== undefined) facts.softwareVersionRaw = info.softwareVersionRaw;
          update(state, facts, undefined);
        }),
        ctx.mqtt.onConnect(() => {
          republishAll();
          startScan();
        }),
      );
      const statusTopic = `${payloadOptions.discoveryPrefix}/status`;
      cleanups.push(
        await ctx.mqtt.subscribe(statusTopic, (_topic, payload) => {
          if (payload.toString() === "online") republishAll();
        }),
      );
      if (ctx.mqtt.connected) startScan();
    },
    async stop() {
      // Ends the scan's wait; its unsubscribe then runs on its own (not awaited: a dead session may never answer).
      scanAbort.abort(new Error("stopped"));
      for (const cleanup of cleanups.splice(0)) await cleanup();
    },
  };
}

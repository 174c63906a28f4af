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

import { CONFIG_DEFAULTS } from "../../../config/defaults.js";
import type { Logger } from "../../../log/logger.js";
import { normalizeMac } from "../../../transport/address.js";
import type { Clock } from "../../../util/clock.js";
import type { EventBus } from "../../event-bus.js";
import type { MqttPort } from "../../mqtt/port.js";
import { RetainedTopics } from "../../mqtt/retained.js";
import type { BatteryState as StoredBattery } from "../../state/battery-store.js";
import type { BridgeState } from "../../state/bridge-state.js";
import type { BridgeFeature } from "../../types.js";
import { bankEntitiesFor } from "./ha-bank-entities.js";
import { type BatteryShape, entitiesFor, type HaEntity } from "./ha-entities.js";
import { BRIDGE_HEALTH_ENTITIES } from "./ha-link-entities.js";
import {
  bankTarget,
  batteryTarget,
  bridgeTarget,
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
  state: BridgeState;
}

export interface HaDiscoveryOptions {
  prefix: string;
  /** The configured `mqtt.qos`. */
  qos: 0 | 1 | 2;
  /** Default "homeassistant". */
  discoveryPrefix?: string;
  /** Poll interval (s) of batteries that do not set their own; sets `expire_after`. */
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
  /** This bridge on the site: its own health device (`BMS bridge <id>`, `<prefix>/bridge/<id>/health`). */
  bridgeId: string;
  /** This bridge's own state topic (its last will); default the site's `<prefix>/bridge/state`. */
  stateTopic?: string;
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

/** What was announced for a battery, to tell when its facts or shape change. */
interface AnnouncedBattery extends Announced {
  facts?: HaBatteryFacts;
  shape?: BatteryShape;
}

export function createHaDiscovery(ctx: HaDiscoveryContext, options: HaDiscoveryOptions): HaDiscoveryFeature {
  const log = ctx.logger.child("ha-discovery");
  const payloadOptions: HaPayloadOptions = {
    prefix: options.prefix,
    discoveryPrefix: options.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX,
    expireAfterS: expireAfterForPoll(options.pollIntervalS ?? CONFIG_DEFAULTS.bridge.pollIntervalS),
    origin: { name: "bms-bridge", sw_version: options.swVersion },
    bridgeId: options.bridgeId,
    ...(options.stateTopic !== undefined && { stateTopic: options.stateTopic }),
  };
  const bankId = bankTarget(payloadOptions).identifier;
  const bridge: Announced = {
    target: bridgeTarget(payloadOptions),
    entities: [...BRIDGE_HEALTH_ENTITIES],
    topics: new Set(),
  };
  const configuredIds = options.batteries && [
    ...options.batteries.map((b) => deviceIdentifier(b.address)),
    ...(options.bank ? [bankId] : []),
    bridgeTarget(payloadOptions).identifier,
  ];
  const batteries = new Map<string, AnnouncedBattery>();
  const bank: Announced = { topics: new Set() };
  const stale = new StaleConfigs();
  const cleanups: Array<() => void | Promise<void>> = [];
  const scanAbort = new AbortController();
  let resolveScanned: () => void = () => {};
  const scanned = new Promise<void>((resolve) => {
    resolveScanned = resolve;
  });

  const topics = new RetainedTopics({ ...ctx, logger: log }, { qos: options.qos });
  const send = (topic: string, payload: string): void => {
    void (payload === "" ? topics.clear(topic) : topics.publish(topic, payload));
  };

  const announced = (): Announced[] => [...batteries.values(), bank, bridge];

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

  /** The device facts Home Assistant shows: the configured name and expiry, the stored model and firmware. */
  const factsOf = (battery: StoredBattery, address: string): HaBatteryFacts => {
    const facts: HaBatteryFacts = { batteryId: battery.batteryId, address };
    const configured = options.batteries?.find((b) => b.id === battery.batteryId);
    if (configured?.name !== undefined) facts.name = configured.name;
    if (configured?.pollIntervalS !== undefined)
      facts.expireAfterS = expireAfterForPoll(configured.pollIntervalS);
    if (battery.model !== undefined) facts.model = battery.model;
    if (battery.softwareVersionRaw !== undefined) facts.softwareVersionRaw = battery.softwareVersionRaw;
    return facts;
  };

  const shapeOf = (battery: StoredBattery): BatteryShape | undefined => {
    const reading = battery.reading;
    return (
      reading && {
        cellCount: reading.cells.cellsMv.length,
        ntcCount: reading.basic.temperaturesC.length,
        hasFullCharge: reading.basic.extension !== undefined,
        energy: options.energy,
        control: options.control ?? false,
        link: { rssi: normalizeMac(reading.address) !== undefined },
      }
    );
  };

  /** Re-derives a battery's target and entities from the store; publishes when anything announced changed. */
  const update = (batteryId: string): void => {
    const battery = ctx.state.store.get(batteryId);
    const address = battery?.reading?.address ?? battery?.address;
    const shape = battery && shapeOf(battery);
    if (!battery || address === undefined || !shape) return; // announced after its first reading
    const announced = batteries.get(batteryId) ?? { topics: new Set<string>() };
    batteries.set(batteryId, announced);
    const facts = factsOf(battery, address);
    const changed =
      JSON.stringify(shape) !== JSON.stringify(announced.shape) ||
      JSON.stringify(facts) !== JSON.stringify(announced.facts);
    if (!changed) return;
    announced.facts = facts;
    announced.shape = shape;
    announced.target = batteryTarget(facts, payloadOptions);
    announced.entities = entitiesFor(shape);
    publish(announced);
  };

  const onReading = (batteryId: string): void => {
    update(batteryId);
    // the bridge's own health device, with the first battery (then on every connect, as all devices)
    if (bridge.topics.size === 0) publish(bridge);
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
      await stale.scan(
        ctx,
        payloadOptions.discoveryPrefix,
        options.prefix,
        windowMs,
        scanAbort.signal,
        payloadOptions.stateTopic,
      );
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
        ctx.bus.on("reading", (reading) => onReading(reading.batteryId)),
        ctx.bus.on("deviceInfo", (info) => update(info.batteryId)),
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

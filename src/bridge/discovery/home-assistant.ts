/**
 * Home Assistant MQTT discovery (`--ha-discovery`, HA_DISCOVERY=1). Publishes one retained config per
 * entity (ha-entities.ts × ha-payload.ts) for each battery once its first reading shows its shape (cell
 * and probe count), again when that shape or its device facts change, on every MQTT (re)connect and when
 * Home Assistant announces itself (`<discovery_prefix>/status` = `online`).
 *
 * Stale configs: on start it subscribes to `<discovery_prefix>/+/+/config` for `staleScanMs`, keeps the
 * retained configs this bridge owns (isOwnConfig) and clears, with an empty retained payload, those of
 * batteries no longer configured, and those of a configured battery that its current entity set no
 * longer contains (e.g. fewer cells).
 */
import type { Logger } from "../../log/logger.js";
import { type Clock, sleep } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import type { BatteryReading, BridgeFeature, MqttPort } from "../types.js";
import { type BatteryShape, entitiesFor } from "./ha-entities.js";
import {
  DEFAULT_DISCOVERY_PREFIX,
  type DiscoveryMessage,
  deviceIdentifier,
  discoveryMessage,
  expireAfterForPoll,
  type HaBatteryFacts,
  type HaPayloadOptions,
  isOwnConfig,
} from "./ha-payload.js";

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
  /** Bridge version for the `origin` block. */
  swVersion: string;
  /** How long to collect retained configs at start (ms). Default 2000. */
  staleScanMs?: number;
}

export interface HaDiscoveryFeature extends BridgeFeature {
  /** Resolves when the start-up stale-config scan is over (tests, diagnostics). */
  readonly scanned: Promise<void>;
}

interface BatteryState {
  facts: HaBatteryFacts;
  shape?: BatteryShape;
  /** Config topics currently published for this battery. */
  topics: Set<string>;
}

const SUPPORT_URL = "https://github.com/accu-solar/bms-bridge";

export function createHaDiscovery(ctx: HaDiscoveryContext, options: HaDiscoveryOptions): HaDiscoveryFeature {
  const log = ctx.logger.child("ha-discovery");
  const discoveryPrefix = options.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX;
  const payloadOptions: HaPayloadOptions = {
    prefix: options.prefix,
    discoveryPrefix,
    expireAfterS: expireAfterForPoll(options.pollIntervalS ?? 5),
    origin: { name: "bms-bridge", sw_version: options.swVersion, support_url: SUPPORT_URL },
  };
  const configuredIds = options.batteries?.map((b) => deviceIdentifier(b.address));
  const batteries = new Map<string, BatteryState>();
  /** Own retained configs found by the start-up scan and not yet confirmed or cleared: topic → unique id. */
  const found = new Map<string, string>();
  const cleanups: Array<() => void | Promise<void>> = [];
  let scanDone = false;
  let resolveScanned: () => void = () => {};
  const scanned = new Promise<void>((resolve) => {
    resolveScanned = resolve;
  });

  const send = (topic: string, payload: string): void => {
    ctx.mqtt.publish(topic, payload, { qos: 1, retain: true }).catch((error: unknown) => {
      log.warn(`cannot publish ${topic}: ${String(error)}`);
    });
  };

  const messagesFor = (state: BatteryState): DiscoveryMessage[] =>
    state.shape ? entitiesFor(state.shape).map((e) => discoveryMessage(e, state.facts, payloadOptions)) : [];

  const publishBattery = (state: BatteryState): void => {
    const messages = messagesFor(state);
    const next = new Set(messages.map((m) => m.topic));
    for (const topic of state.topics) if (!next.has(topic)) send(topic, "");
    for (const m of messages) send(m.topic, JSON.stringify(m.payload));
    state.topics = next;
    log.debug(() => `announced ${messages.length} entities for battery ${state.facts.batteryId}`);
    clearStale();
  };

  /**
   * Clears found configs that are certainly stale: their battery is not configured, or their battery's
   * entity set is known and does not contain them. Others wait for their battery's first reading.
   */
  const clearStale = (): void => {
    const current = new Set([...batteries.values()].flatMap((s) => [...s.topics]));
    const owns = (id: string, uniqueId: string) => uniqueId.startsWith(`${id}_`);
    for (const [topic, uniqueId] of found) {
      if (current.has(topic)) {
        found.delete(topic);
        continue;
      }
      const removed = configuredIds !== undefined && !configuredIds.some((id) => owns(id, uniqueId));
      const superseded = [...batteries.values()].some(
        (s) => s.shape !== undefined && owns(deviceIdentifier(s.facts.address), uniqueId),
      );
      if (!removed && !superseded) continue;
      send(topic, "");
      found.delete(topic);
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

  const onReading = (reading: BatteryReading): void => {
    const state = batteries.get(reading.batteryId) ?? {
      facts: configuredFacts(reading.batteryId, reading.address),
      topics: new Set<string>(),
    };
    batteries.set(reading.batteryId, state);
    const shape: BatteryShape = {
      cellCount: reading.cells.cellsMv.length,
      ntcCount: reading.basic.temperaturesC.length,
      hasFullCharge: reading.basic.extension !== undefined,
      energy: options.energy,
    };
    const facts: HaBatteryFacts = { ...state.facts, address: reading.address };
    facts.softwareVersionRaw = reading.basic.softwareVersionRaw;
    if (reading.model !== undefined) facts.model = reading.model;
    const changed =
      JSON.stringify(shape) !== JSON.stringify(state.shape) ||
      JSON.stringify(facts) !== JSON.stringify(state.facts);
    state.shape = shape;
    state.facts = facts;
    if (changed) publishBattery(state);
  };

  const republishAll = (): void => {
    for (const state of batteries.values()) if (state.shape) publishBattery(state);
  };

  const scan = async (): Promise<void> => {
    try {
      const unsubscribe = await ctx.mqtt.subscribe(`${discoveryPrefix}/+/+/config`, (topic, payload) => {
        if (scanDone || payload.length === 0) return;
        try {
          const config = JSON.parse(payload.toString()) as { unique_id?: string };
          if (isOwnConfig(config, options.prefix)) found.set(topic, config.unique_id as string);
        } catch {
          // Not JSON: not one of ours.
        }
      });
      await sleep(ctx.clock, options.staleScanMs ?? 2000);
      scanDone = true;
      await unsubscribe();
      clearStale();
    } catch (error) {
      log.warn(`stale Home Assistant config scan failed: ${String(error)}`);
    } finally {
      scanDone = true;
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
          if (JSON.stringify(facts) === JSON.stringify(state.facts)) return;
          state.facts = facts;
          if (state.shape) publishBattery(state);
        }),
        ctx.mqtt.onConnect(republishAll),
      );
      const offStatus = await ctx.mqtt.subscribe(`${discoveryPrefix}/status`, (_topic, payload) => {
        if (payload.toString() === "online") republishAll();
      });
      cleanups.push(offStatus);
      void scan();
    },
    async stop() {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    },
  };
}

/**
 * The bridge features started by default, each from the effective config: the Accu-Solar publisher,
 * the bank view (several batteries), Home Assistant discovery (HA_DISCOVERY), energy counters (when a
 * state file is configured), guarded MOSFET control (off unless allowed) and the BLE mirrors (--mirror).
 */
import type { BridgeConfig } from "../../config/config.js";
import type { Logger } from "../../log/logger.js";
import type { Clock } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import type { MqttPort } from "../mqtt/port.js";
import { bridgeStateTopic } from "../mqtt/topics.js";
import { AccuSolarPublisher, defaultMessageExpiryS } from "../publish/accu-solar-publisher.js";
import { createSiteFeature } from "../site/site-feature.js";
import type { BridgeState } from "../state/bridge-state.js";
import type { BridgeFeature } from "../types.js";
import { createBankFeature } from "./bank/bank-feature.js";
import { createControlFeature, type ExclusiveRunner } from "./control/control-feature.js";
import { createEnergyFeature } from "./energy/energy-feature.js";
import { createHaDiscovery } from "./home-assistant/home-assistant.js";
import { type BridgeHealthSource, createLinkHealthFeature } from "./link-health/link-health-feature.js";
import { createMirrorFeature } from "./mirror/mirror-feature.js";

/** What every feature factory receives. */
export interface FeatureContext {
  config: BridgeConfig;
  /** Package version (Home Assistant's `origin` block). */
  version: string;
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
  /** Runs work between polls of one battery (MOSFET control). */
  device: ExclusiveRunner;
  /** The battery store and the bank every feature reads. */
  state: BridgeState;
  /** Bridge-wide figures: uptime, BLE adapters, MQTT queue, memory (link health). */
  health: BridgeHealthSource;
}

export type FeatureFactory = (ctx: FeatureContext) => BridgeFeature | undefined;

/** The longest poll interval of any battery (ms): what expiry and gap bounds must tolerate. */
function slowestPollMs(config: BridgeConfig): number {
  return 1000 * Math.max(config.bridge.pollIntervalS, ...config.batteries.map((b) => b.pollIntervalS));
}

/**
 * The bridge's offline bound (s): how long anything it published may still say live after it died — the
 * MQTT 5 expiry of telemetry, of a battery's `online` and of the site's `online`.
 */
export function offlineBoundS(config: BridgeConfig): number {
  return config.mqtt.messageExpiryS ?? defaultMessageExpiryS(slowestPollMs(config) / 1000);
}

/**
 * How long bank aggregates wait after the first reading that changed them (ms): long enough to collect a
 * poll round's readings (batteries falling due together, read back to back) into one recomputation over all
 * N batteries instead of N, short enough to stay well inside the fastest poll interval.
 */
export function bankWindowMs(config: BridgeConfig): number {
  // One battery: nothing to collect, so its plain and energy topics go out with the reading as always.
  if (config.batteries.length <= 1) return 0;
  const fastestPollMs =
    1000 * Math.min(config.bridge.pollIntervalS, ...config.batteries.map((b) => b.pollIntervalS));
  return Math.min(200, Math.floor(fastestPollMs / 4));
}

/** The features a bridge runs unless told otherwise; a new feature is one folder and one line here. */
export const DEFAULT_FEATURES: readonly FeatureFactory[] = [
  // first, so it stops last: the others' goodbyes still know whether another bridge takes over
  ({ config, version, ...ctx }) =>
    createSiteFeature(ctx, {
      prefix: config.mqtt.topicPrefix,
      qos: config.mqtt.qos,
      bridgeId: config.bridge.id,
      bank: config.bridge.bank,
      batteryIds: config.batteries.map((b) => b.id),
      offlineBoundS: offlineBoundS(config),
      version,
      energy: config.bridge.energyStateFile !== undefined,
    }),
  (ctx) =>
    new AccuSolarPublisher(ctx, {
      prefix: ctx.config.mqtt.topicPrefix,
      qos: ctx.config.mqtt.qos,
      messageExpiryS: offlineBoundS(ctx.config),
      bridgeId: ctx.config.bridge.id,
    }),
  // on a site, other bridges' batteries make a bank even when this bridge reads one
  (ctx) => createBankFeature(ctx, { prefix: ctx.config.mqtt.topicPrefix, qos: ctx.config.mqtt.qos }),
  ({ config, version, ...ctx }) =>
    config.mqtt.haDiscovery
      ? createHaDiscovery(ctx, {
          prefix: config.mqtt.topicPrefix,
          qos: config.mqtt.qos,
          discoveryPrefix: config.mqtt.haDiscoveryPrefix,
          pollIntervalS: config.bridge.pollIntervalS,
          // id, address, name (HA device name), pollIntervalS (that battery's expire_after)
          batteries: config.batteries,
          energy: config.bridge.energyStateFile !== undefined,
          control: config.bridge.allowControl,
          // The bank view runs with more than one battery (the factory above).
          bank: config.batteries.length > 1,
          swVersion: version,
          bridgeId: config.bridge.id,
          stateTopic: bridgeStateTopic(config.mqtt.topicPrefix, config.bridge.id),
        })
      : undefined,
  ({ config, ...ctx }) =>
    config.bridge.energyStateFile === undefined
      ? undefined
      : createEnergyFeature(ctx, {
          prefix: config.mqtt.topicPrefix,
          qos: config.mqtt.qos,
          statePath: config.bridge.energyStateFile,
          maxGapMs: 3 * slowestPollMs(config),
          batteries: config.batteries.map(({ id, address }) => ({ id, address })),
        }),
  ({ config, ...ctx }) =>
    createLinkHealthFeature(ctx, {
      prefix: config.mqtt.topicPrefix,
      bridgeId: config.bridge.id,
      qos: config.mqtt.qos,
    }),
  ({ config, ...ctx }) =>
    createControlFeature(ctx, {
      prefix: config.mqtt.topicPrefix,
      allowControl: config.bridge.allowControl,
      batteryIds: config.batteries.map((b) => b.id),
      qos: config.mqtt.qos,
    }),
  ({ config, ...ctx }) =>
    config.mirror.length === 0
      ? undefined
      : createMirrorFeature(ctx, {
          batteries: config.batteries,
          controllers: config.mirror,
          offlineAfterPolls: config.bridge.offlineAfterPolls,
          allowControl: config.bridge.allowControl,
        }),
];

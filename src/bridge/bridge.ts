/**
 * Composition root of the bridge: links + poller on the device side, the MQTT connection and every
 * BridgeFeature (Accu-Solar publisher, bank view, energy counters, …) on the other, wired through one
 * EventBus and one context object. No globals, no process access: the CLI owns signals and exit codes.
 *
 * A broker that is down at start is not an error: the connection keeps retrying in the background,
 * readings are queued (bounded) and the retained state is republished on connect (docs/background.md §7 bug 7). Nor is a
 * BLE adapter that goes away: it is reopened in the background, and only one that stays unusable past
 * `adapter_give_up_after` settles `fatal`, which the CLI turns into exit code 1.
 */

import type { BridgeConfig } from "../config/config.js";
import type { BmsError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { type CaptureFile, openCaptureFile } from "../transport/capture/capture-file.js";
import { captureBatteryLinkOpener } from "../transport/capture/capture-link.js";
import {
  type AdapterContext,
  type AdapterOpener,
  createBatteryLinkOpener,
  type MemoryConnector,
} from "../transport/open-link.js";
import type { Clock } from "../util/clock.js";
import { Poller } from "./device/poller.js";
import { EventBus } from "./event-bus.js";
import {
  bankWindowMs,
  DEFAULT_FEATURES,
  type FeatureContext,
  type FeatureFactory,
} from "./features/default-features.js";
import type { BridgeHealthSource } from "./features/link-health/link-health-feature.js";
import { MqttConnection } from "./mqtt/connection.js";
import type { MqttPort } from "./mqtt/port.js";
import { bridgeStateTopic } from "./mqtt/topics.js";
import { type BridgeState, createBridgeState } from "./state/bridge-state.js";
import type { BridgeFeature } from "./types.js";

export { DEFAULT_FEATURES, type FeatureContext, type FeatureFactory };

export interface BridgeContext {
  config: BridgeConfig;
  logger: Logger;
  clock: Clock;
  /** Default: a new bus. */
  bus?: EventBus;
  /** Default: an MqttConnection built from config.mqtt (started and stopped by the bridge). */
  mqtt?: MqttPort;
  /** In-process batteries for `memory:<name>` addresses (demo, tests). */
  memory?: ReadonlyMap<string, MemoryConnector>;
  /** BLE opener per adapter (tests, the virtual BLE lab); default: the noble adapter. */
  createBleOpener?: (hci: string, ctx: AdapterContext) => Promise<AdapterOpener>;
  /** Replaces the default feature list (publisher, bank, energy when configured). */
  features?: readonly FeatureFactory[];
  /** Jitter source (tests). */
  random?: () => number;
  /** The process's memory (bytes), for `<prefix>/bridge/health`; the CLI passes it (only it reads the process). */
  memoryUsage?: () => { rssBytes: number; heapUsedBytes: number };
  /** Package version: capture header and Home Assistant's `origin` (the CLI passes it); default "unknown". */
  version?: string;
}

export interface RunningBridge {
  bus: EventBus;
  /** The battery store and the bank the features read. */
  state: BridgeState;
  mqtt: MqttPort;
  poller: Poller;
  /** Settles only when the bridge cannot go on (a BLE adapter given up on): the caller stops and exits 1. */
  fatal: Promise<BmsError>;
  /** Stops polling (links closed), then the features, then MQTT (bridge state `offline` published). */
  stop(): Promise<void>;
}

export function mqttConnectionFor(config: BridgeConfig, logger: Logger, clock: Clock): MqttConnection {
  const { mqtt } = config;
  return new MqttConnection(
    { logger: logger.child("mqtt"), clock },
    {
      url: mqtt.url,
      clientId: mqtt.clientId,
      prefix: mqtt.topicPrefix,
      // the will is this bridge's own: a bridge that dies must not say the whole site is offline
      stateTopic: bridgeStateTopic(mqtt.topicPrefix, config.bridge.id),
      qos: mqtt.qos,
      queueLimit: mqtt.queueLimit,
      ...(mqtt.username !== undefined && { username: mqtt.username }),
      ...(mqtt.password !== undefined && { password: mqtt.password }),
      ...(mqtt.caFile !== undefined && { caFile: mqtt.caFile }),
    },
  );
}

export async function startBridge(ctx: BridgeContext): Promise<RunningBridge> {
  const { config, logger, clock } = ctx;
  const bus = ctx.bus ?? new EventBus();
  const ownConnection = ctx.mqtt === undefined ? mqttConnectionFor(config, logger, clock) : undefined;
  const mqtt: MqttPort = ctx.mqtt ?? (ownConnection as MqttConnection);
  let declareFatal: (error: BmsError) => void = () => {};
  const fatal = new Promise<BmsError>((resolve) => {
    declareFatal = resolve;
  });
  const directLinks = createBatteryLinkOpener({
    clock,
    logger: logger.child("link"),
    adapter: { giveUpAfterMs: config.bridge.adapterGiveUpAfterMs },
    onAdapterEvent: (event) => {
      bus.emit("adapter", event);
      if (event.type === "fatal") declareFatal(event.error);
    },
    ...(ctx.memory !== undefined && { memory: ctx.memory }),
    ...(ctx.createBleOpener !== undefined && { createBleOpener: ctx.createBleOpener }),
  });
  const capture = await openCapture(config, logger, clock, ctx.version);
  const links = capture ? captureBatteryLinkOpener(directLinks, capture) : directLinks;
  const poller = new Poller({
    config,
    clock,
    logger: logger.child("poller"),
    bus,
    links,
    ...(ctx.random !== undefined && { random: ctx.random }),
  });
  const version = ctx.version ?? "unknown";
  // The store listens before any feature, so each feature's handler sees the event's battery updated.
  const state = createBridgeState(
    { bus, clock },
    {
      batteryIds: config.batteries.map((b) => b.id),
      bankWindowMs: bankWindowMs(config),
      bridgeId: config.bridge.id,
      bank: config.bridge.bank,
    },
  );
  const health: BridgeHealthSource = {
    startedAt: clock.now(),
    adapters: () => links.adapterHealth(),
    ...(ownConnection && { mqttQueued: () => ownConnection.stats.queued }),
    ...(ctx.memoryUsage !== undefined && { memory: ctx.memoryUsage }),
    site: () => ({
      bridge_id: config.bridge.id,
      bank: config.bridge.bank,
      bank_publisher: state.bank.publisher,
      other_bridges_online: state.site.otherBridgesOnline,
      collisions: state.site.collisions.map((c) => ({
        battery_id: c.batteryId,
        bridge_id: c.bridgeId,
        ...(c.address !== undefined && { address: c.address }),
      })),
    }),
  };
  const featureCtx: FeatureContext = {
    config,
    version,
    logger,
    clock,
    bus,
    mqtt,
    device: poller,
    state,
    health,
  };
  const features = (ctx.features ?? DEFAULT_FEATURES)
    .map((make) => make(featureCtx))
    .filter((feature): feature is BridgeFeature => feature !== undefined);

  const started: BridgeFeature[] = [];
  try {
    await ownConnection?.start();
    for (const feature of features) {
      await feature.start();
      started.push(feature);
    }
    // after the features: their handlers of a reading or an outage run before the bank it changes
    state.bank.attach();
  } catch (error) {
    state.store.detach();
    for (const feature of started.reverse()) await feature.stop().catch(() => undefined);
    await ownConnection?.stop();
    await capture?.close();
    throw error;
  }
  if (ownConnection) await timedOut(ownConnection.waitForConnect(), FIRST_CONNECT_GRACE_MS, clock);
  poller.start();
  logger.info(describeStart(config));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await poller.stop();
      await links.close();
      await capture?.close();
      // One round trip first, so that what other bridges said before this stop has arrived (a bridge that
      // stopped just before us said `offline`): the site's goodbye decides from the broker's present state.
      await mqtt.sync?.().catch(() => undefined);
      // nothing is computed after stop: a pending bank window is dropped
      state.bank.detach();
      for (const feature of [...started].reverse()) {
        await feature
          .stop()
          .catch((error: unknown) => logger.warn(`${feature.name} did not stop cleanly: ${String(error)}`));
      }
      state.store.detach();
      if (ownConnection) await stopWithin(ownConnection, MQTT_STOP_LIMIT_MS, clock, logger);
    })();
    return stopping;
  };
  return { bus, state, mqtt, poller, fatal, stop };
}

/** `--capture FILE`: every link records its chunks (src/transport/capture). */
async function openCapture(
  config: BridgeConfig,
  logger: Logger,
  clock: Clock,
  version = "unknown",
): Promise<CaptureFile | undefined> {
  if (config.bridge.captureFile === undefined) return undefined;
  const file = await openCaptureFile({
    path: config.bridge.captureFile,
    clock,
    logger: logger.child("capture"),
    header: {
      bridge_version: version,
      batteries: config.batteries.map(({ id, address }) => ({ id, address })),
    },
  });
  logger.info(`capturing every request and response to ${file.path}`);
  return file;
}

/**
 * How long a stop waits for the broker to take the `offline` state. A broker that vanished a moment
 * before the stop never acknowledges it, and a service manager must not wait for that forever.
 */
const MQTT_STOP_LIMIT_MS = 3000;

/**
 * How long the first poll waits for the broker. Readings are queued while it is away anyway; the wait only
 * keeps the original Python bridge's log order (`MQTT connected (rc=0)` before the first `Published →`) when the broker is
 * there, and a broker that is down at start delays polling by no more than this.
 */
const FIRST_CONNECT_GRACE_MS = 3000;

/** Resolves true when `limitMs` passed before `work` settled (which then goes on unobserved). */
async function timedOut(work: Promise<unknown>, limitMs: number, clock: Clock): Promise<boolean> {
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const gaveUp = new Promise<boolean>((resolve) => {
    timer = clock.setTimeout(() => resolve(true), limitMs);
  });
  const result = await Promise.race([work.then(() => false), gaveUp]);
  if (timer !== undefined) clock.clearTimeout(timer);
  return result;
}

async function stopWithin(
  connection: MqttConnection,
  limitMs: number,
  clock: Clock,
  logger: Logger,
): Promise<void> {
  if (await timedOut(connection.stop(), limitMs, clock))
    logger.warn(`MQTT did not close within ${limitMs / 1000} s (broker unreachable?); stopping anyway`);
}

function describeStart(config: BridgeConfig): string {
  const count = config.batteries.length;
  const what = count === 1 ? `battery ${config.batteries[0]?.address}` : `${count} batteries`;
  return `bms-bridge polling ${what} every ${config.bridge.pollIntervalS} s → ${config.mqtt.url} (${config.mqtt.topicPrefix}/…)`;
}

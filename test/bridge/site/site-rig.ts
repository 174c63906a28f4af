/**
 * One bridge of a site on FakeMqtt and the manual clock, as startBridge wires it (site feature, publisher,
 * bank view, and energy counters when given a state file), and the other bridges played through
 * `deliver()` as the broker would relay them — or real ones, each a rig on one SharedBroker's client.
 */

import { EventBus } from "../../../src/bridge/event-bus.js";
import { createBankFeature } from "../../../src/bridge/features/bank/bank-feature.js";
import { createEnergyFeature } from "../../../src/bridge/features/energy/energy-feature.js";
import { AccuSolarPublisher } from "../../../src/bridge/publish/accu-solar-publisher.js";
import { formatValues } from "../../../src/bridge/publish/format.js";
import { batterySet } from "../../../src/bridge/publish/topic-sets.js";
import { createSiteFeature } from "../../../src/bridge/site/site-feature.js";
import { valuesFromReading } from "../../../src/bridge/state/battery-values.js";
import { createBridgeState } from "../../../src/bridge/state/bridge-state.js";
import type { BatteryReading, BridgeFeature } from "../../../src/bridge/types.js";
import type { BankMode } from "../../../src/config/schema.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { FakeMqtt, ManualClock } from "../../../src/testing/index.js";

export const WINDOW_MS = 200;
export const BOUND_S = 60;

export function siteRig(options: {
  bridgeId: string;
  batteryIds: string[];
  bank?: BankMode;
  mqtt5?: boolean;
  /** The broker's round trips (MqttPort.sync) complete only when the test says (`mqtt.roundTrip()`). */
  roundTrips?: boolean;
  /** Its client of a broker shared with other rigs (shared-broker.ts); default a FakeMqtt of its own. */
  mqtt?: FakeMqtt;
  /** Runs the energy feature on this state file (its directory must exist). */
  energyStatePath?: string;
}) {
  const bus = new EventBus();
  const mqtt =
    options.mqtt ?? new FakeMqtt({ mqtt5: options.mqtt5 ?? false, roundTrips: options.roundTrips ?? false });
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  const logger = createMemoryLogger();
  const bank = options.bank ?? "auto";
  const state = createBridgeState(
    { bus, clock },
    { batteryIds: options.batteryIds, bankWindowMs: WINDOW_MS, bridgeId: options.bridgeId, bank },
  );
  const ctx = { bus, mqtt, logger, clock, state };
  const publisher = new AccuSolarPublisher(ctx, {
    messageExpiryS: BOUND_S,
    bridgeId: options.bridgeId,
  });
  const features: BridgeFeature[] = [
    createSiteFeature(ctx, {
      prefix: "accusolar",
      qos: 1,
      bridgeId: options.bridgeId,
      bank,
      batteryIds: options.batteryIds,
      offlineBoundS: BOUND_S,
      version: "test",
      energy: options.energyStatePath !== undefined,
    }),
    publisher,
    createBankFeature(ctx, { prefix: "accusolar", qos: 1 }),
    ...(options.energyStatePath === undefined
      ? []
      : [
          createEnergyFeature(ctx, {
            prefix: "accusolar",
            qos: 1,
            statePath: options.energyStatePath,
            maxGapMs: 15_000,
          }),
        ]),
  ];
  const start = async () => {
    for (const feature of features) await feature.start();
    state.bank.attach();
  };
  const stop = async () => {
    state.bank.detach();
    for (const feature of [...features].reverse()) await feature.stop();
  };
  /** A reading of one of this bridge's batteries. */
  const read = (reading: BatteryReading) => bus.emit("reading", { ...reading, time: clock.now() });
  /** The broker relays another bridge's state. */
  const bridgeState = (bridgeId: string, payload: string) =>
    mqtt.deliver(`accusolar/bridge/${bridgeId}/state`, payload, { retain: true });
  const bridgeInfo = (bridgeId: string, info: Record<string, unknown>) =>
    mqtt.deliver(`accusolar/bridge/${bridgeId}/info`, JSON.stringify(info), { retain: true });
  /** The broker relays another bridge's battery: availability, then its status as that bridge wrote it. */
  const remoteReading = (bridgeId: string, reading: BatteryReading) => {
    const values = valuesFromReading(reading);
    const set = batterySet("accusolar", reading, values, formatValues(values), bridgeId);
    const status = set.find(([topic]) => topic.endsWith("/status"))?.[1] ?? "";
    mqtt.deliver(`accusolar/battery/${reading.batteryId}/availability`, "online", { retain: true });
    mqtt.deliver(`accusolar/battery/${reading.batteryId}/status`, status, { retain: true });
  };
  const idle = async () => {
    // the site feature's (un)subscribing on an election settles in promise jobs: let them all run first
    await new Promise((resolve) => setImmediate(resolve));
    await publisher.whenIdle();
    await Promise.resolve();
  };
  const plainStatus = () =>
    JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "null") as Record<string, unknown> | null;
  return {
    bus,
    mqtt,
    clock,
    logger,
    state,
    start,
    stop,
    read,
    bridgeState,
    bridgeInfo,
    remoteReading,
    idle,
    plainStatus,
  };
}

/** The Accu-Solar publisher on FakeMqtt and the shared state, as startBridge wires it (publisher tests). */
import { EventBus } from "../../../src/bridge/event-bus.js";
import {
  AccuSolarPublisher,
  type PublisherOptions,
} from "../../../src/bridge/publish/accu-solar-publisher.js";
import { createBridgeState } from "../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { FakeMqtt } from "../../../src/testing/index.js";
import type { Clock } from "../../../src/util/clock.js";

export const T0 = Date.UTC(2026, 1, 22, 13, 5, 57);
export const ACCU_SOLAR_TOPICS = [
  "voltage",
  "current",
  "soc",
  "power",
  "temperature",
  "cycles",
  "capacity_remain",
  "capacity_full",
  "cells",
  "status",
];

export function setup(options: Partial<PublisherOptions> = {}, mqtt5 = false, batteryIds: string[] = []) {
  const bus = new EventBus();
  const mqtt = new FakeMqtt({ mqtt5 });
  const logger = createMemoryLogger();
  let now = T0;
  const clock: Clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => {} };
  const state = createBridgeState({ bus, clock }, { batteryIds, bankWindowMs: 0 });
  const publisher = new AccuSolarPublisher({ bus, mqtt, logger, clock, state }, options);
  const start = async () => {
    await publisher.start();
    state.bank.attach();
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { bus, mqtt, logger, state, publisher, start, advance };
}

export const offline = (batteryId: string) => ({
  batteryId,
  state: "offline" as const,
  reason: "no valid reading for 30 s",
  time: T0,
});
export const online = (batteryId: string) => ({
  batteryId,
  state: "online" as const,
  reason: "connected",
  time: T0,
});

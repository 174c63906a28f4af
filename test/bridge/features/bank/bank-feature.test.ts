import { afterEach, describe, expect, it } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import { createBankFeature } from "../../../../src/bridge/features/bank/bank-feature.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import type { BridgeFeature } from "../../../../src/bridge/types.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FakeMqtt, ManualClock } from "../../../../src/testing/index.js";
import { makeReading } from "../../../support/readings.js";

/** The bank view on the shared state, started and stopped as startBridge does. */
async function startBank(options: {
  bus: EventBus;
  mqtt: FakeMqtt;
  clock: ManualClock;
  batteryIds: string[];
  windowMs: number;
  qos: 0 | 1 | 2;
}): Promise<{ feature: BridgeFeature; stop: () => Promise<void> }> {
  const { bus, mqtt, clock } = options;
  const state = createBridgeState(
    { bus, clock },
    { batteryIds: options.batteryIds, bankWindowMs: options.windowMs },
  );
  const feature = createBankFeature(
    { logger: createMemoryLogger(), clock, bus, mqtt, state },
    { prefix: "accusolar", qos: options.qos },
  );
  await feature.start();
  state.bank.attach();
  return {
    feature,
    stop: async () => {
      state.bank.detach();
      await feature.stop();
    },
  };
}

describe("bank view feature", () => {
  const clock = new ManualClock(Date.UTC(2026, 1, 22, 13, 5, 57));
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  async function setup(qos: 0 | 1 | 2 = 1) {
    const bus = new EventBus();
    const mqtt = new FakeMqtt();
    const started = await startBank({ bus, mqtt, clock, batteryIds: ["1", "2"], windowMs: 0, qos });
    stop = started.stop;
    return { bus, mqtt };
  }

  it("publishes the bank topics and status retained after a reading", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now(), currentA: -14, remainingAh: 140 }));
    expect(mqtt.retainedPayload("accusolar/bank/batteries_online")).toBe("1");
    expect(mqtt.retainedPayload("accusolar/bank/batteries_configured")).toBe("2");
    expect(mqtt.retainedPayload("accusolar/bank/time_to_empty_h")).toBe("10");
    const status = JSON.parse(mqtt.retainedPayload("accusolar/bank/status") ?? "{}");
    expect(status).toMatchObject({
      batteries_online: 1,
      current: -14,
      time_to_empty_h: 10,
      time_to_full_h: null,
    });
    const sent = mqtt.publishes.find((m) => m.topic === "accusolar/bank/status");
    expect({ qos: sent?.qos, retain: sent?.retain }).toEqual({ qos: 1, retain: true });
  });

  it("publishes at the configured QoS (mqtt.qos), not a fixed one", async () => {
    const { bus, mqtt } = await setup(0);
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() }));
    const bank = mqtt.publishes.filter((m) => m.topic.startsWith("accusolar/bank/"));
    expect(bank.length).toBeGreaterThan(0);
    expect(new Set(bank.map((m) => m.qos))).toEqual(new Set([0]));
  });

  it("clears a scalar topic whose value stops existing and drops offline batteries", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now(), currentA: -14 }));
    bus.emit("reading", makeReading({ batteryId: "2", time: clock.now(), currentA: -14 }));
    expect(mqtt.retainedPayload("accusolar/bank/current")).toBe("-28");
    bus.emit("availability", { batteryId: "1", state: "offline", reason: "stale", time: clock.now() });
    expect(mqtt.retainedPayload("accusolar/bank/batteries_online")).toBe("1");
    expect(mqtt.retainedPayload("accusolar/bank/current")).toBe("-14");
    bus.emit("availability", { batteryId: "2", state: "offline", reason: "stale", time: clock.now() });
    expect(mqtt.retainedPayload("accusolar/bank/time_to_empty_h") !== undefined).toBe(false);
    expect(mqtt.publishesTo("accusolar/bank/cell_min_v").at(-1)?.payload).toBe("");
  });

  it("counts a battery back from an outage with its new reading, never its pre-outage one", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now(), currentA: -14 }));
    bus.emit("reading", makeReading({ batteryId: "2", time: clock.now(), currentA: -14 }));
    bus.emit("availability", { batteryId: "2", state: "offline", reason: "stale", time: clock.now() });
    expect(mqtt.retainedPayload("accusolar/bank/current")).toBe("-14");
    // the session says online just before the reading that proves it
    bus.emit("availability", { batteryId: "2", state: "online", reason: "reading ok", time: clock.now() });
    bus.emit("reading", makeReading({ batteryId: "2", time: clock.now(), currentA: 6 }));
    const currents = mqtt.publishesTo("accusolar/bank/current").map((m) => m.payload);
    expect(currents).toEqual(["-14", "-28", "-14", "-8"]);
  });

  it("publishes an unchanged scalar only once but the status every time", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() }));
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() + 5000, seq: 2 }));
    const count = (topic: string) => mqtt.publishes.filter((m) => m.topic === topic).length;
    expect(count("accusolar/bank/batteries_configured")).toBe(1);
    expect(count("accusolar/bank/status")).toBe(2);
  });

  it("republishes every topic after a reconnect", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() }));
    const before = mqtt.publishes.length;
    mqtt.connect();
    const topics = mqtt.publishes.slice(before).map((m) => m.topic);
    expect(topics).toContain("accusolar/bank/batteries_configured");
    expect(topics).toContain("accusolar/bank/status");
  });
});

describe("bank view feature with a window", () => {
  const WINDOW_MS = 200;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  async function setup() {
    const clock = new ManualClock(Date.UTC(2026, 1, 22, 13, 5, 57));
    const bus = new EventBus();
    const mqtt = new FakeMqtt();
    const started = await startBank({
      bus,
      mqtt,
      clock,
      batteryIds: ["1", "2", "3"],
      windowMs: WINDOW_MS,
      qos: 1,
    });
    stop = started.stop;
    const statuses = () => mqtt.publishesTo("accusolar/bank/status");
    return { bus, mqtt, clock, statuses };
  }

  it("publishes the view once per window with every reading of it", async () => {
    const { bus, mqtt, clock, statuses } = await setup();
    for (const batteryId of ["1", "2", "3"])
      bus.emit("reading", makeReading({ batteryId, time: clock.now(), currentA: -14 }));
    expect(statuses()).toHaveLength(0);
    clock.tick(WINDOW_MS);
    expect(statuses()).toHaveLength(1);
    expect(mqtt.retainedPayload("accusolar/bank/batteries_online")).toBe("3");
    expect(mqtt.retainedPayload("accusolar/bank/current")).toBe("-42");
  });

  it("publishes at once when a battery goes offline, dropping the open window", async () => {
    const { bus, mqtt, clock, statuses } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now(), currentA: -14 }));
    bus.emit("reading", makeReading({ batteryId: "2", time: clock.now(), currentA: -14 }));
    bus.emit("availability", { batteryId: "1", state: "offline", reason: "stale", time: clock.now() });
    expect(statuses()).toHaveLength(1);
    expect(mqtt.retainedPayload("accusolar/bank/batteries_online")).toBe("1");
    expect(mqtt.retainedPayload("accusolar/bank/current")).toBe("-14");
    expect(clock.pending).toBe(0);
  });

  it("publishes nothing after stop()", async () => {
    const { bus, mqtt, clock } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() }));
    await stop?.();
    clock.tick(10 * WINDOW_MS);
    expect(mqtt.publishes).toHaveLength(0);
  });
});

import { describe, expect, it } from "vitest";
import { EventBus } from "../../../src/bridge/event-bus.js";
import {
  AccuSolarPublisher,
  type PublisherOptions,
} from "../../../src/bridge/publish/accu-solar-publisher.js";
import { createBridgeState } from "../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { FakeMqtt, ManualClock, sampleReading } from "../../../src/testing/index.js";

const WINDOW_MS = 200;

function setup(batteryIds: string[], options: Partial<PublisherOptions> = {}) {
  const bus = new EventBus();
  const mqtt = new FakeMqtt();
  const logger = createMemoryLogger();
  const clock = new ManualClock();
  const state = createBridgeState({ bus, clock }, { batteryIds, bankWindowMs: WINDOW_MS });
  const publisher = new AccuSolarPublisher({ bus, mqtt, logger, clock, state }, options);
  // as startBridge does: the bank after the features, and stopped before them
  const start = async () => {
    await publisher.start();
    state.bank.attach();
  };
  const stop = async () => {
    state.bank.detach();
    await publisher.stop();
  };
  const bankStatuses = () => mqtt.publishesTo("accusolar/battery/status").filter((p) => p.payload !== "");
  return { bus, mqtt, logger, clock, publisher, start, stop, bankStatuses };
}

const offline = (batteryId: string, time: number) => ({
  batteryId,
  state: "offline" as const,
  reason: "no valid reading for 30 s",
  time,
});

describe("AccuSolarPublisher coalescing the bank of several batteries", () => {
  const ids = ["a", "b", "c"];

  it("publishes one bank set with every reading of the window, after the window", async () => {
    const { bus, mqtt, clock, publisher, start, bankStatuses } = setup(ids);
    await start();
    const currents: Record<string, number> = { a: 10, b: -4, c: 2 };
    for (const batteryId of ids) {
      const basic = { currentA: currents[batteryId] as number };
      bus.emit("reading", sampleReading({ batteryId, time: clock.now(), basic }));
    }
    await publisher.whenIdle();
    // each battery's own topics go out with its reading, the bank waits for the window
    expect(mqtt.retainedPayload("accusolar/battery/c/current")).toBe("2.00");
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBeUndefined();

    clock.tick(WINDOW_MS);
    await publisher.whenIdle();
    expect(bankStatuses()).toHaveLength(1);
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("8.00");
    expect(mqtt.retainedPayload("accusolar/battery/capacity_full")).toBe("840.0");
    expect(JSON.parse(bankStatuses()[0]?.payload ?? "")).toMatchObject({
      batteries_contributing: 3,
      batteries: ids,
    });
    expect(mqtt.retainedPayload("accusolar/system/health")).toBe("Normal");
  });

  it("opens a new window for readings after the previous one closed", async () => {
    const { bus, mqtt, clock, publisher, start, bankStatuses } = setup(ids);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", time: clock.now(), basic: { currentA: 10 } }));
    await publisher.whenIdle();
    clock.tick(WINDOW_MS);
    await publisher.whenIdle();
    bus.emit("reading", sampleReading({ batteryId: "b", time: clock.now(), basic: { currentA: -4 } }));
    bus.emit("reading", sampleReading({ batteryId: "a", time: clock.now(), basic: { currentA: 5 } }));
    await publisher.whenIdle();
    clock.tick(WINDOW_MS);
    await publisher.whenIdle();
    expect(bankStatuses()).toHaveLength(2);
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("1.00");
  });

  it("recomputes the bank at once when a battery goes offline, with the readings of the open window", async () => {
    const { bus, mqtt, clock, publisher, start, bankStatuses } = setup(ids);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", time: clock.now(), basic: { currentA: 10 } }));
    bus.emit("reading", sampleReading({ batteryId: "b", time: clock.now(), basic: { currentA: -4 } }));
    await publisher.whenIdle();
    clock.tick(WINDOW_MS);
    bus.emit("reading", sampleReading({ batteryId: "a", time: clock.now(), basic: { currentA: 7 } }));
    await publisher.whenIdle();
    expect(clock.pending).toBe(1);
    bus.emit("availability", offline("b", clock.now()));
    await publisher.whenIdle();
    // no tick: the offline battery is out of the bank and its telemetry cleared right away
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("7.00");
    expect(JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "")).toMatchObject({
      batteries_contributing: 1,
    });
    expect(mqtt.retainedTopics("accusolar/battery/b/#")).toEqual(["accusolar/battery/b/availability"]);
    expect(clock.pending).toBe(0);
    const published = bankStatuses().length;
    clock.tick(10 * WINDOW_MS);
    await publisher.whenIdle();
    expect(bankStatuses()).toHaveLength(published);

    bus.emit("availability", offline("a", clock.now()));
    await publisher.whenIdle();
    expect(mqtt.retainedTopics()).toEqual([
      "accusolar/battery/a/availability",
      "accusolar/battery/b/availability",
    ]);
  });

  it("publishes nothing after stop(), even with a window open", async () => {
    const { bus, mqtt, clock, publisher, start, stop } = setup(ids);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", time: clock.now() }));
    await publisher.whenIdle();
    expect(clock.pending).toBe(1);
    bus.emit("reading", sampleReading({ batteryId: "b", time: clock.now() }));
    await stop();
    const count = mqtt.publishes.length;
    expect(clock.pending).toBe(0);
    clock.tick(10 * WINDOW_MS);
    await publisher.whenIdle();
    expect(mqtt.publishes).toHaveLength(count);
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBeUndefined();
    // the reading still queued at stop() got its own topics, then the clean stop cleared them
    expect(mqtt.publishesTo("accusolar/battery/b/voltage").map((p) => p.payload)).toEqual(["13.45", ""]);
    expect(mqtt.retainedPayload("accusolar/battery/b/availability")).toBe("offline");
  });

  it("republishes the open window's readings on reconnect without a second bank publish later", async () => {
    const { bus, mqtt, clock, publisher, start, bankStatuses } = setup(ids);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", time: clock.now(), basic: { currentA: 10 } }));
    await publisher.whenIdle();
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("10.00");
    clock.tick(WINDOW_MS);
    await publisher.whenIdle();
    expect(bankStatuses()).toHaveLength(1);
  });
});

describe("AccuSolarPublisher with one battery and a bank window", () => {
  it("still publishes the plain topics and the original bridge's log line with each reading, without waiting", async () => {
    const { bus, mqtt, logger, clock, publisher, start } = setup(["1"]);
    await start();
    bus.emit("reading", sampleReading({ time: clock.now() }));
    await publisher.whenIdle();
    expect(clock.pending).toBe(0);
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
    expect(mqtt.retainedPayload("accusolar/battery/1/voltage")).toBe("13.45");
    expect(logger.records.map((r) => r.message)).toContain(
      "Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27",
    );
  });
});

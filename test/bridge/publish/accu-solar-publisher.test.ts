import { describe, expect, it } from "vitest";
import { EventBus } from "../../../src/bridge/event-bus.js";
import {
  AccuSolarPublisher,
  type PublisherOptions,
} from "../../../src/bridge/publish/accu-solar-publisher.js";
import { createBridgeState } from "../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { FakeMqtt, sampleReading } from "../../../src/testing/index.js";
import type { Clock } from "../../../src/util/clock.js";

const T0 = Date.UTC(2026, 1, 22, 13, 5, 57);
const SEED_TOPICS = [
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

function setup(options: Partial<PublisherOptions> = {}, mqtt5 = false, batteryIds: string[] = []) {
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
  return { bus, mqtt, logger, publisher, start, advance };
}

const offline = (batteryId: string) => ({
  batteryId,
  state: "offline" as const,
  reason: "no valid reading for 30 s",
  time: T0,
});
const online = (batteryId: string) => ({
  batteryId,
  state: "online" as const,
  reason: "connected",
  time: T0,
});

describe("AccuSolarPublisher with one battery", () => {
  it("publishes every seed topic retained at QoS 1, plain and per battery, with the seed's values", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading({ time: T0 }));
    await publisher.whenIdle();
    for (const leaf of SEED_TOPICS) {
      expect(mqtt.retained.get(`accusolar/battery/${leaf}`)).toMatchObject({ qos: 1, retain: true });
      expect(mqtt.retained.get(`accusolar/battery/1/${leaf}`)).toMatchObject({ qos: 1, retain: true });
    }
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
    expect(mqtt.retainedPayload("accusolar/battery/soc")).toBe("71");
    expect(mqtt.retainedPayload("accusolar/battery/capacity_full")).toBe("280.0");
    expect(mqtt.retainedPayload("accusolar/system/health")).toBe("Normal");
    expect(mqtt.retainedPayload("accusolar/battery/1/health")).toBe("Normal");
    expect(JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "")).toMatchObject({
      voltage: 13.45,
      soc: 71,
    });
  });

  it("logs the seed's line without an id prefix", async () => {
    const { bus, logger, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    expect(logger.records.filter((r) => r.level === "info").map((r) => r.message)).toEqual([
      "Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27",
    ]);
  });

  it("honours the prefix, QoS and retain options", async () => {
    const { bus, mqtt, publisher, start } = setup({ prefix: "home/bms", qos: 0, retain: false });
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    const voltage = mqtt.publishesTo("home/bms/battery/voltage");
    expect(voltage).toEqual([expect.objectContaining({ payload: "13.45", qos: 0, retain: false })]);
    expect(mqtt.publishes.every((p) => p.topic.startsWith("home/bms/"))).toBe(true);
  });

  it("sets the message expiry only on an MQTT 5 session", async () => {
    const v3 = setup({ messageExpiryS: 30 }, false);
    await v3.start();
    v3.bus.emit("reading", sampleReading({ time: T0 }));
    await v3.publisher.whenIdle();
    expect(v3.mqtt.publishes.every((p) => p.messageExpirySeconds === undefined)).toBe(true);

    const v5 = setup({ messageExpiryS: 30 }, true);
    await v5.start();
    v5.bus.emit("reading", sampleReading({ time: T0 }));
    await v5.publisher.whenIdle();
    expect(v5.mqtt.publishesTo("accusolar/battery/voltage")[0]?.messageExpirySeconds).toBe(30);
    expect(v5.mqtt.publishesTo("accusolar/battery/1/status")[0]?.messageExpirySeconds).toBe(30);
  });

  it("never puts an expiry on availability", async () => {
    const { bus, mqtt, publisher, start } = setup({ messageExpiryS: 30 }, true);
    await start();
    bus.emit("availability", online("1"));
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/1/availability")).toEqual([
      expect.objectContaining({ payload: "online", retain: true, messageExpirySeconds: undefined }),
    ]);
  });

  it("clears every retained telemetry topic when the battery goes offline", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    expect(mqtt.retainedTopics()).toEqual(["accusolar/battery/1/availability"]);
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("offline");
  });

  it("keeps the values when clear_on_offline is off", async () => {
    const { bus, mqtt, publisher, start } = setup({ clearOnOffline: false });
    await start();
    bus.emit("reading", sampleReading());
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
  });

  it("clears a temperature it published before when the NTCs disappear", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    bus.emit("reading", sampleReading({ seq: 2, basic: { temperaturesC: [] } }));
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/temperature")).toBeUndefined();
    expect(mqtt.retainedPayload("accusolar/battery/1/temperature")).toBeUndefined();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
  });

  it("republishes the current state on reconnect, but not readings older than the expiry", async () => {
    const { bus, mqtt, publisher, start, advance } = setup({ messageExpiryS: 60 }, true);
    await start();
    bus.emit("availability", online("1"));
    bus.emit("reading", sampleReading({ time: T0 }));
    await publisher.whenIdle();
    mqtt.reset();
    advance(20_000);
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("online");
    // 20 s of the 60 s lifetime are gone already.
    expect(mqtt.publishesTo("accusolar/battery/voltage")[0]?.messageExpirySeconds).toBe(40);

    mqtt.reset();
    advance(60_000);
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBeUndefined();
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("online");
  });

  it("stops listening after stop()", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    await publisher.stop();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    expect(mqtt.publishes).toEqual([]);
  });
});

describe("AccuSolarPublisher with several batteries", () => {
  const balanced = [3330, 3331, 3332, 3330];
  const imbalanced = [3300, 3420, 3330, 3330];

  it("publishes the bank on the plain topics and each battery under its id", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    bus.emit(
      "reading",
      sampleReading({ batteryId: "a", cellsMv: balanced, basic: { currentA: 10, voltageV: 13.4 } }),
    );
    bus.emit(
      "reading",
      sampleReading({ batteryId: "b", cellsMv: imbalanced, basic: { currentA: -4, voltageV: 13.2 } }),
    );
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/a/current")).toBe("10.00");
    expect(mqtt.retainedPayload("accusolar/battery/b/current")).toBe("-4.00");
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("6.00");
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.30");
    expect(mqtt.retainedPayload("accusolar/battery/capacity_full")).toBe("560.0");
    expect(JSON.parse(mqtt.retainedPayload("accusolar/battery/cells") ?? "")).toEqual([
      3.33, 3.331, 3.332, 3.33, 3.3, 3.42, 3.33, 3.33,
    ]);
    const status = JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "");
    expect(status).toMatchObject({
      current: 6,
      batteries_contributing: 2,
      batteries: ["a", "b"],
      health: "Critical",
    });
  });

  it("reports the worst battery health as the system health", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", cellsMv: balanced }));
    bus.emit("reading", sampleReading({ batteryId: "b", cellsMv: [3300, 3370, 3330, 3330] }));
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/a/health")).toBe("Normal");
    expect(mqtt.retainedPayload("accusolar/battery/b/health")).toBe("Warning");
    expect(mqtt.retainedPayload("accusolar/system/health")).toBe("Warning");
  });

  it("prefixes each log line with the battery id", async () => {
    const { bus, logger, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "b" }));
    await publisher.whenIdle();
    expect(logger.records.map((r) => r.message)).toContain(
      "[b] Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27",
    );
  });

  it("recomputes the bank without a battery that went offline, then clears it with the last one", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", basic: { currentA: 10 } }));
    bus.emit("reading", sampleReading({ batteryId: "b", cellsMv: imbalanced, basic: { currentA: -4 } }));
    bus.emit("availability", offline("b"));
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("10.00");
    expect(mqtt.retainedPayload("accusolar/system/health")).toBe("Normal");
    expect(JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "")).toMatchObject({
      batteries_contributing: 1,
      batteries_configured: 2,
    });
    expect(mqtt.retainedTopics("accusolar/battery/b/#")).toEqual(["accusolar/battery/b/availability"]);

    bus.emit("availability", offline("a"));
    await publisher.whenIdle();
    expect(mqtt.retainedTopics()).toEqual([
      "accusolar/battery/a/availability",
      "accusolar/battery/b/availability",
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { defaultMessageExpiryS } from "../../../src/bridge/publish/accu-solar-publisher.js";
import { sampleReading } from "../../../src/testing/index.js";
import { ACCU_SOLAR_TOPICS, offline, online, setup, T0 } from "./publisher-rig.js";

describe("AccuSolarPublisher with one battery", () => {
  it("publishes every Accu-Solar topic retained at QoS 1, plain and per battery, with the setup guide's values", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading({ time: T0 }));
    await publisher.whenIdle();
    for (const leaf of ACCU_SOLAR_TOPICS) {
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

  it("logs the original bridge's log line without an id prefix", async () => {
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

  it("is named in a log line as accu-solar-publisher, with a default expiry of max(60 s, 6 polls)", () => {
    expect(setup().publisher.name).toBe("accu-solar-publisher");
    expect([5, 10, 15, 20.5].map(defaultMessageExpiryS)).toEqual([60, 60, 90, 123]);
  });

  it("says a battery offline retained at the configured QoS", async () => {
    const { bus, mqtt, publisher, start } = setup({ qos: 2 });
    await start();
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/1/availability")).toEqual([
      expect.objectContaining({ payload: "offline", qos: 2, retain: true }),
    ]);
  });

  it("says `online` once per availability change on MQTT 3.1.1 (no expiry to renew), with no log line", async () => {
    const { bus, mqtt, logger, publisher, start } = setup({}, false);
    await start();
    bus.emit("availability", online("1"));
    bus.emit("reading", sampleReading({ seq: 1 }));
    bus.emit("reading", sampleReading({ seq: 2 }));
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/1/availability").map((p) => p.payload)).toEqual(["online"]);
    expect(mqtt.publishes.filter((p) => p.payload === "")).toEqual([]);
    expect(logger.records.filter((r) => r.message.includes("offline"))).toEqual([]);
  });

  it("says `online` with a reading that came without an availability change, also right after `offline`", async () => {
    const { bus, mqtt, publisher, start } = setup({ messageExpiryS: 30 }, true);
    await start();
    bus.emit("reading", sampleReading({ seq: 1 }));
    bus.emit("availability", offline("1"));
    bus.emit("reading", sampleReading({ seq: 2 }));
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/1/availability").map((p) => p.payload)).toEqual([
      "online",
      "offline",
      "online",
    ]);
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("online");
  });

  it("gives `online` the telemetry's expiry, said again with each reading, and `offline` none", async () => {
    const { bus, mqtt, publisher, start } = setup({ messageExpiryS: 30 }, true);
    await start();
    bus.emit("availability", online("1"));
    // the reading that brought it online does not say it again; the next ones do, before their values
    bus.emit("reading", sampleReading({ seq: 1 }));
    bus.emit("reading", sampleReading({ seq: 2 }));
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/1/availability")).toEqual([
      expect.objectContaining({ payload: "online", retain: true, messageExpirySeconds: 30 }),
      expect.objectContaining({ payload: "online", retain: true, messageExpirySeconds: 30 }),
      expect.objectContaining({ payload: "offline", retain: true, messageExpirySeconds: undefined }),
    ]);
    const order = mqtt.publishes.map((p) => `${p.topic} ${p.payload}`);
    const secondOnline = order.lastIndexOf("accusolar/battery/1/availability online");
    const secondStatus = order.findLastIndex((t) => t.startsWith("accusolar/battery/1/status {"));
    expect(secondOnline).toBeLessThan(secondStatus);
  });

  it("clears every retained telemetry topic, plain and per battery, when the battery goes offline", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    expect(mqtt.retainedTopics()).toEqual(["accusolar/battery/1/availability"]);
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("offline");
  });

  it("keeps the values, plain and per battery, when clear_on_offline is off", async () => {
    const { bus, mqtt, publisher, start } = setup({ clearOnOffline: false });
    await start();
    bus.emit("reading", sampleReading());
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
    for (const leaf of ACCU_SOLAR_TOPICS)
      expect(mqtt.retainedPayload(`accusolar/battery/1/${leaf}`)).toBeTruthy();
    expect(mqtt.publishes.filter((p) => p.payload === "")).toEqual([]);
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("offline");
  });

  it("puts no expiry on anything with message_expiry null, also on MQTT 5 and after a reconnect", async () => {
    const { bus, mqtt, publisher, start, advance } = setup({ messageExpiryS: null }, true);
    await start();
    bus.emit("availability", online("1"));
    bus.emit("reading", sampleReading({ time: T0 }));
    await publisher.whenIdle();
    advance(3_600_000); // an hour later the value is still the latest: without an expiry it is republished
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/1/voltage")).toHaveLength(2);
    expect(mqtt.publishesTo("accusolar/battery/voltage")).toHaveLength(2);
    expect(mqtt.publishes.filter((p) => p.messageExpirySeconds !== undefined)).toEqual([]);
  });

  it("never touches the temperature topics of a BMS without NTCs", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading({ basic: { temperaturesC: [] } }));
    bus.emit("reading", sampleReading({ seq: 2, basic: { temperaturesC: [] } }));
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/temperature")).toEqual([]);
    expect(mqtt.publishesTo("accusolar/battery/1/temperature")).toEqual([]);
  });

  it("ignores a reading the shared state does not hold (its store stopped listening)", async () => {
    const { bus, mqtt, logger, state, publisher, start } = setup({}, false, ["1"]);
    await start();
    state.store.detach();
    expect(bus.emit("reading", sampleReading({ batteryId: "1" }))).toEqual([]);
    expect(bus.emit("reading", sampleReading({ batteryId: "unknown" }))).toEqual([]);
    await publisher.whenIdle();
    expect(mqtt.publishes).toEqual([]);
    expect(logger.records.filter((r) => r.level === "warn")).toEqual([]);
  });

  it("whenIdle() also waits for publishes triggered after it was called", async () => {
    const { bus, logger, publisher, start } = setup();
    await start();
    const idle = publisher.whenIdle();
    bus.emit("reading", sampleReading());
    await idle;
    // the log line is the reading's last step, after its publishes were handed over
    expect(logger.records.map((r) => r.message)).toEqual([
      "Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27",
    ]);
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

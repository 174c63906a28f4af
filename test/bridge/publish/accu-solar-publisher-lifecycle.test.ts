/**
 * The Accu-Solar publisher around its readings (src/bridge/publish/accu-solar-publisher.ts): what a
 * clean stop leaves on the broker, what a reconnect says again, the offline log line, and the plain
 * topics on a site (docs/mqtt.md "Availability and stale values", "Several bridges on one site").
 */
import { describe, expect, it } from "vitest";
import { sampleReading } from "../../../src/testing/index.js";
import { ACCU_SOLAR_TOPICS, offline, online, setup, T0 } from "./publisher-rig.js";

const BATTERY_1 = ACCU_SOLAR_TOPICS.map((leaf) => `accusolar/battery/1/${leaf}`);

describe("AccuSolarPublisher at a clean stop", () => {
  it("says each battery it heard of offline and clears its telemetry and the plain topics", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["1", "2"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "1" }));
    await publisher.whenIdle();
    await publisher.stop();
    // battery 2 was never heard of: nothing is said about it
    expect(mqtt.retainedTopics()).toEqual(["accusolar/battery/1/availability"]);
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("offline");
  });

  it("with clear_on_offline off says offline and keeps every value, per battery and plain", async () => {
    const { bus, mqtt, publisher, start } = setup({ clearOnOffline: false });
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    await publisher.stop();
    for (const topic of BATTERY_1) expect(mqtt.retainedPayload(topic), topic).toBeTruthy();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
    expect(mqtt.publishes.filter((p) => p.payload === "")).toEqual([]);
    expect(mqtt.retainedPayload("accusolar/battery/1/availability")).toBe("offline");
  });

  it("publishes nothing when the broker is gone (its last will speaks for the bridge)", async () => {
    const { bus, mqtt, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    const before = mqtt.publishes.length;
    mqtt.disconnect();
    await publisher.stop();
    expect(mqtt.publishes).toHaveLength(before);
  });

  it("leaves the plain topics to another bridge of the site that takes over", async () => {
    const { bus, mqtt, state, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    // bridge "z" (auto) comes online: "local" sorts first and stays elected, "z" would take over
    state.site.bridgeState("z", "online");
    await publisher.stop();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
    expect(mqtt.retainedPayload("accusolar/battery/1/voltage")).toBeUndefined();
  });

  it("clears the plain topics it published when elected but not yet done reading the site", async () => {
    const { bus, mqtt, state, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    // a site feed starts: the retained state is read, the other bridges' batteries not yet
    state.site.expectFeed();
    state.site.settle();
    await publisher.stop();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBeUndefined();
  });

  it("leaves the plain topics alone while it does not know yet whether it is elected", async () => {
    const { bus, mqtt, state, publisher, start } = setup();
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    // a site feed starts and the broker's retained state has not been read: another bridge may publish them
    state.site.expectFeed();
    await publisher.stop();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
    expect(mqtt.retainedPayload("accusolar/battery/1/voltage")).toBeUndefined();
  });
});

describe("AccuSolarPublisher going offline", () => {
  it("logs which battery went offline and why", async () => {
    const { bus, logger, publisher, start } = setup();
    await start();
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    expect(logger.records.filter((r) => r.level === "info").map((r) => r.message)).toEqual([
      "[1] offline (no valid reading for 30 s)",
    ]);
  });

  it("with clear_on_offline off keeps the plain bank when the last battery goes offline", async () => {
    const { bus, mqtt, publisher, start } = setup({ clearOnOffline: false }, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", basic: { currentA: 10 } }));
    bus.emit("reading", sampleReading({ batteryId: "b", basic: { currentA: -4 } }));
    bus.emit("availability", offline("a"));
    bus.emit("availability", offline("b"));
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("-4.00");
    expect(mqtt.retainedPayload("accusolar/battery/a/current")).toBe("10.00");
    expect(mqtt.publishes.filter((p) => p.payload === "")).toEqual([]);
  });
});

describe("AccuSolarPublisher after a reconnect", () => {
  it("says again what it knows of each battery: offline, or online with a full expiry before any reading", async () => {
    const { bus, mqtt, publisher, start, advance } = setup({ messageExpiryS: 60 }, true, ["1", "2", "3"]);
    await start();
    bus.emit("availability", offline("1"));
    bus.emit("availability", online("2"));
    await publisher.whenIdle();
    mqtt.reset();
    advance(30_000);
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.publishes.map((p) => [p.topic, p.payload, p.messageExpirySeconds])).toEqual([
      ["accusolar/battery/1/availability", "offline", undefined],
      ["accusolar/battery/2/availability", "online", 60],
    ]);
  });

  it("says nothing of a battery never heard of, and does not republish an offline battery's last values", async () => {
    const { bus, mqtt, logger, publisher, start } = setup({ clearOnOffline: false }, false, ["1", "2"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "1" }));
    bus.emit("availability", offline("1"));
    await publisher.whenIdle();
    mqtt.reset();
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.publishes.map((p) => `${p.topic} ${p.payload}`)).toEqual([
      "accusolar/battery/1/availability offline",
    ]);
    expect(logger.records.filter((r) => r.level === "warn")).toEqual([]);
  });

  it("counts `online`'s expiry from the reading, and republishes one battery as itself", async () => {
    const { bus, mqtt, publisher, start, advance } = setup({ messageExpiryS: 60 }, true);
    await start();
    bus.emit("availability", online("1"));
    bus.emit("reading", sampleReading({ time: T0 }));
    await publisher.whenIdle();
    mqtt.reset();
    advance(20_000);
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/1/availability")).toEqual([
      expect.objectContaining({ payload: "online", messageExpirySeconds: 40 }),
    ]);
    expect(JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "")).toMatchObject({
      battery_id: "1",
    });
  });

  it("leaves the plain topics to the elected bridge", async () => {
    const { bus, mqtt, state, publisher, start } = setup();
    await start();
    state.site.bridgeState("a", "online");
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.publishes.filter((p) => !p.topic.startsWith("accusolar/battery/1/"))).toEqual([]);
  });

  it("logs that it republished", async () => {
    const { mqtt, logger, publisher, start } = setup();
    await start();
    mqtt.connect();
    await publisher.whenIdle();
    expect(logger.records.map((r) => `${r.level} ${r.message}`)).toContain(
      "debug republished the retained state after connect",
    );
  });

  it("publishes the bank of the batteries whose readings have not expired", async () => {
    const { bus, mqtt, publisher, start, advance } = setup({ messageExpiryS: 60 }, true, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", time: T0, basic: { currentA: 10 } }));
    advance(30_000);
    bus.emit("reading", sampleReading({ batteryId: "b", time: T0 + 30_000, basic: { currentA: -4 } }));
    await publisher.whenIdle();
    mqtt.reset();
    advance(40_000); // a's reading is 70 s old, b's 40 s
    mqtt.connect();
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("-4.00");
    expect(mqtt.publishesTo("accusolar/battery/current")[0]?.messageExpirySeconds).toBe(20);
    expect(mqtt.retainedPayload("accusolar/battery/a/current")).toBeUndefined();
    expect(JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "")).toMatchObject({
      batteries: ["b"],
      batteries_offline: ["a"],
    });
  });

  it("clears the plain topics when the only battery's reading has expired, unless told to keep them", async () => {
    for (const clearOnOffline of [true, false]) {
      const { bus, mqtt, publisher, start, advance } = setup({ messageExpiryS: 60, clearOnOffline }, true);
      await start();
      bus.emit("reading", sampleReading({ time: T0 }));
      await publisher.whenIdle();
      advance(61_000);
      mqtt.connect();
      await publisher.whenIdle();
      const cleared = mqtt.publishesTo("accusolar/battery/voltage").filter((p) => p.payload === "");
      expect(cleared, `clear_on_offline ${clearOnOffline}`).toHaveLength(clearOnOffline ? 1 : 0);
    }
  });
});

describe("AccuSolarPublisher with several batteries", () => {
  it("numbers each bank it publishes", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a" }));
    bus.emit("reading", sampleReading({ batteryId: "b" }));
    await publisher.whenIdle();
    const seqs = mqtt.publishesTo("accusolar/battery/status").map((p) => JSON.parse(p.payload).seq);
    expect(seqs).toEqual([1, 2]);
  });

  it("recomputes the bank when a battery goes offline without clearing the plain topics first", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a" }));
    bus.emit("reading", sampleReading({ batteryId: "b" }));
    bus.emit("availability", offline("b"));
    await publisher.whenIdle();
    const plain = mqtt.publishes.filter((p) => /^accusolar\/battery\/[a-z_]+$/.test(p.topic));
    expect(plain.filter((p) => p.payload === "")).toEqual([]);
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
  });

  it("publishes one bank, not two, when elected", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a" }));
    bus.emit("reading", sampleReading({ batteryId: "b" }));
    await publisher.whenIdle();
    mqtt.reset();
    bus.emit("site", { kind: "role", bankPublisher: true });
    await publisher.whenIdle();
    expect(mqtt.publishesTo("accusolar/battery/status")).toHaveLength(1);
  });
});

describe("AccuSolarPublisher on a site", () => {
  it("publishes the plain topics once elected, from the battery's latest reading", async () => {
    const { bus, mqtt, state, publisher, start } = setup({}, false, ["1"]);
    await start();
    state.site.bridgeState("a", "online");
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/1/voltage")).toBe("13.45");
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBeUndefined();

    bus.emit("site", { kind: "role", bankPublisher: false });
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBeUndefined();

    state.site.bridgeState("a", "offline");
    bus.emit("site", { kind: "role", bankPublisher: true });
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/voltage")).toBe("13.45");
  });

  it("leaves the plain topics as they are when another bridge's battery goes offline", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["1"]);
    await start();
    bus.emit("reading", sampleReading());
    await publisher.whenIdle();
    mqtt.reset();
    bus.emit("site", { kind: "offline", batteryId: "r" });
    await publisher.whenIdle();
    expect(mqtt.publishes).toEqual([]);
  });
});

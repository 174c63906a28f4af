import { afterEach, describe, expect, it } from "vitest";
import { type BankFeature, createBankFeature } from "../../src/bridge/bank-feature.js";
import { EventBus } from "../../src/bridge/event-bus.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { LocalFakeMqtt, ManualClock } from "../helpers/local-fakes.js";
import { makeReading } from "../helpers/readings.js";

describe("bank view feature", () => {
  const clock = new ManualClock(Date.UTC(2026, 1, 22, 13, 5, 57));
  let feature: BankFeature | undefined;
  afterEach(async () => {
    await feature?.stop();
  });

  async function setup() {
    const bus = new EventBus();
    const mqtt = new LocalFakeMqtt();
    feature = createBankFeature(
      { logger: createMemoryLogger(), clock, bus, mqtt },
      { prefix: "accusolar", batteryIds: ["1", "2"] },
    );
    await feature.start();
    return { bus, mqtt };
  }

  it("publishes the bank topics and status retained after a reading", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now(), currentA: -14, remainingAh: 140 }));
    expect(mqtt.retained.get("accusolar/bank/batteries_online")).toBe("1");
    expect(mqtt.retained.get("accusolar/bank/batteries_configured")).toBe("2");
    expect(mqtt.retained.get("accusolar/bank/time_to_empty_h")).toBe("10");
    const status = JSON.parse(mqtt.retained.get("accusolar/bank/status") ?? "{}");
    expect(status).toMatchObject({
      batteries_online: 1,
      current: -14,
      time_to_empty_h: 10,
      time_to_full_h: null,
    });
    const options = mqtt.published.find((m) => m.topic === "accusolar/bank/status")?.options;
    expect(options).toEqual({ qos: 1, retain: true });
  });

  it("clears a scalar topic whose value stops existing and drops offline batteries", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now(), currentA: -14 }));
    bus.emit("reading", makeReading({ batteryId: "2", time: clock.now(), currentA: -14 }));
    expect(mqtt.retained.get("accusolar/bank/current")).toBe("-28");
    bus.emit("availability", { batteryId: "1", state: "offline", reason: "stale", time: clock.now() });
    expect(mqtt.retained.get("accusolar/bank/batteries_online")).toBe("1");
    expect(mqtt.retained.get("accusolar/bank/current")).toBe("-14");
    bus.emit("availability", { batteryId: "2", state: "offline", reason: "stale", time: clock.now() });
    expect(mqtt.retained.has("accusolar/bank/time_to_empty_h")).toBe(false);
    expect(mqtt.last("accusolar/bank/cell_min_v")).toBe("");
  });

  it("publishes an unchanged scalar only once but the status every time", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() }));
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() + 5000, seq: 2 }));
    const count = (topic: string) => mqtt.published.filter((m) => m.topic === topic).length;
    expect(count("accusolar/bank/batteries_configured")).toBe(1);
    expect(count("accusolar/bank/status")).toBe(2);
  });

  it("republishes every topic after a reconnect", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", makeReading({ batteryId: "1", time: clock.now() }));
    const before = mqtt.published.length;
    mqtt.reconnect();
    const topics = mqtt.published.slice(before).map((m) => m.topic);
    expect(topics).toContain("accusolar/bank/batteries_configured");
    expect(topics).toContain("accusolar/bank/status");
  });
});

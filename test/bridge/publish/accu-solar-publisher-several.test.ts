import { describe, expect, it } from "vitest";
import { sampleReading } from "../../../src/testing/index.js";
import { offline, setup, T0 } from "./publisher-rig.js";

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
    // packs in parallel: the plain cells are the widest-spread pack's, so the app's alert agrees with health
    expect(JSON.parse(mqtt.retainedPayload("accusolar/battery/cells") ?? "")).toEqual([
      3.3, 3.42, 3.33, 3.33,
    ]);
    const status = JSON.parse(mqtt.retainedPayload("accusolar/battery/status") ?? "");
    expect(status).toMatchObject({
      current: 6,
      cells: [3.3, 3.42, 3.33, 3.33],
      cells_battery_id: "b",
      cell_spread_mv: 120,
      cell_min_index: 1,
      cell_max_index: 2,
      batteries_contributing: 2,
      batteries: ["a", "b"],
      health: "Critical",
    });
    expect(mqtt.retainedPayload("accusolar/system/health")).toBe("Critical");
  });

  it("shows the cells of the pack with the widest spread, not pack-to-pack differences", async () => {
    const { bus, mqtt, publisher, start } = setup({}, false, ["a", "b"]);
    await start();
    // each pack is balanced (11 mV and 3 mV) but they sit 60 mV apart, as parallel packs at different SoC do
    bus.emit("reading", sampleReading({ batteryId: "a", cellsMv: [3300, 3311, 3305, 3302] }));
    bus.emit("reading", sampleReading({ batteryId: "b", cellsMv: [3360, 3363, 3361, 3362] }));
    await publisher.whenIdle();
    const cells = JSON.parse(mqtt.retainedPayload("accusolar/battery/cells") ?? "") as number[];
    expect(cells).toEqual([3.3, 3.311, 3.305, 3.302]);
    expect(Math.round((Math.max(...cells) - Math.min(...cells)) * 1000)).toBe(11);
    expect(mqtt.retainedPayload("accusolar/system/health")).toBe("Normal");
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

  it("with clear_on_offline off keeps an offline battery's own topics but still leaves it out of the bank", async () => {
    const { bus, mqtt, publisher, start } = setup({ clearOnOffline: false }, false, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", basic: { currentA: 10 } }));
    bus.emit("reading", sampleReading({ batteryId: "b", basic: { currentA: -4 } }));
    bus.emit("availability", offline("b"));
    await publisher.whenIdle();
    expect(mqtt.retainedPayload("accusolar/battery/b/current")).toBe("-4.00");
    expect(mqtt.retainedPayload("accusolar/battery/b/status")).toBeTruthy();
    expect(mqtt.retainedPayload("accusolar/battery/current")).toBe("10.00");
    expect(mqtt.publishes.filter((p) => p.payload === "")).toEqual([]);
  });

  it("gives every battery's own topics the same expiry as the plain ones on MQTT 5", async () => {
    const { bus, mqtt, publisher, start } = setup({ messageExpiryS: 45 }, true, ["a", "b"]);
    await start();
    bus.emit("reading", sampleReading({ batteryId: "a", time: T0 }));
    bus.emit("reading", sampleReading({ batteryId: "b", time: T0 }));
    await publisher.whenIdle();
    for (const topic of [
      "accusolar/battery/a/voltage",
      "accusolar/battery/b/cells",
      "accusolar/battery/voltage",
    ]) {
      const expiries = mqtt.publishesTo(topic).map((p) => p.messageExpirySeconds);
      expect(expiries.length, topic).toBeGreaterThan(0);
      expect(new Set(expiries), topic).toEqual(new Set([45]));
    }
  });
});

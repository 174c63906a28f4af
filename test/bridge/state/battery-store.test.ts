/**
 * The per-battery state every feature reads (src/bridge/state/battery-store.ts), fed by the bus events
 * the battery sessions emit.
 */
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../src/bridge/event-bus.js";
import { BatteryStore } from "../../../src/bridge/state/battery-store.js";
import { sampleReading } from "../../../src/testing/index.js";

const ADDRESS = "A5:C2:37:3C:76:D2";

describe("the battery store", () => {
  it("lists the configured batteries first, then those first heard of, and counts both", () => {
    const bus = new EventBus();
    const store = new BatteryStore(bus, ["a", "b"]);
    expect(store.size).toBe(2);
    bus.emit("reading", sampleReading({ batteryId: "z" }));
    expect(store.all().map((s) => s.batteryId)).toEqual(["a", "b", "z"]);
    expect(store.size).toBe(3);
    expect(new BatteryStore(new EventBus()).size).toBe(0);
    expect(new BatteryStore(new EventBus()).all()).toEqual([]);
  });

  it("keeps a reading as read, and gives a later reading without a model the model read before", () => {
    const bus = new EventBus();
    const store = new BatteryStore(bus, ["a"]);
    const first = sampleReading({ batteryId: "a", seq: 1 });
    bus.emit("reading", first);
    expect(store.get("a")?.reading).toStrictEqual(first);
    expect(store.get("a")?.model).toBeUndefined();

    bus.emit("reading", sampleReading({ batteryId: "a", seq: 2, model: "DP04S007L4S200A" }));
    bus.emit("reading", sampleReading({ batteryId: "a", seq: 3 }));
    expect(store.get("a")?.reading).toStrictEqual(
      sampleReading({ batteryId: "a", seq: 3, model: "DP04S007L4S200A" }),
    );
    expect(store.get("a")?.model).toBe("DP04S007L4S200A");
  });

  it("takes the model and firmware from the device info, keeping what a later info does not say", () => {
    const bus = new EventBus();
    const store = new BatteryStore(bus, ["a"]);
    bus.emit("deviceInfo", { batteryId: "a", address: ADDRESS, model: "SP04S034", softwareVersionRaw: 0x23 });
    bus.emit("deviceInfo", { batteryId: "a", address: "other" });
    expect(store.get("a")).toMatchObject({ address: "other", model: "SP04S034", softwareVersionRaw: 0x23 });

    bus.emit("reading", sampleReading({ batteryId: "a", basic: { softwareVersionRaw: 0x24 } }));
    expect(store.get("a")?.reading?.model).toBe("SP04S034");
    expect(store.get("a")).toMatchObject({ address: ADDRESS, softwareVersionRaw: 0x24 });
  });

  it("takes a reading as proof of life, and keeps it while offline", () => {
    const bus = new EventBus();
    const store = new BatteryStore(bus, ["a"]);
    bus.emit("availability", { batteryId: "a", state: "offline", reason: "stale", time: 0 });
    bus.emit("reading", sampleReading({ batteryId: "a" }));
    expect(store.get("a")?.availability).toBe("online");
    expect([...store.onlineMembers().keys()]).toEqual(["a"]);
    bus.emit("availability", { batteryId: "a", state: "offline", reason: "stale", time: 0 });
    expect(store.get("a")).toMatchObject({ availability: "offline", availabilityReason: "stale" });
    expect(store.get("a")?.reading).toBeDefined();
    expect(store.onlineMembers().size).toBe(0);
  });

  it("hears nothing after detach", () => {
    const bus = new EventBus();
    const store = new BatteryStore(bus, ["a"]);
    store.detach();
    bus.emit("reading", sampleReading({ batteryId: "a" }));
    bus.emit("poll", { batteryId: "a", time: 0, ok: true, reconnected: false });
    expect(store.get("a")).toMatchObject({ reading: undefined, availability: undefined });
    expect(store.get("a")?.link.health().polls).toBe(0);
  });
});

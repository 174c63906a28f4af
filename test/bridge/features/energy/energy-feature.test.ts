import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import {
  createEnergyFeature,
  type EnergyFeature,
} from "../../../../src/bridge/features/energy/energy-feature.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FakeMqtt, ManualClock } from "../../../../src/testing/index.js";
import { makeReading } from "../../../support/readings.js";

const A = "A5:C2:37:3C:76:D2";
const B = "A5:C2:37:46:27:CC";

describe("energy counter feature", () => {
  let dir: string;
  let statePath: string;
  let clock: ManualClock;
  let bus: EventBus;
  let mqtt: FakeMqtt;
  const running: EnergyFeature[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "energy-feature-"));
    statePath = join(dir, "energy.json");
    clock = new ManualClock(Date.UTC(2026, 1, 22, 12));
    bus = new EventBus();
    mqtt = new FakeMqtt();
  });
  afterEach(async () => {
    for (const f of running.splice(0)) await f.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(saveIntervalMs = 60_000): Promise<EnergyFeature> {
    // the shared state publishes a bank (and so the bank total) with every reading when there is no window
    const state = createBridgeState({ bus, clock }, { batteryIds: [], bankWindowMs: 0 });
    const feature = createEnergyFeature(
      { logger: createMemoryLogger(), clock, bus, mqtt, state },
      { prefix: "accusolar", qos: 1, statePath, maxGapMs: 15_000, saveIntervalMs },
    );
    await feature.start();
    state.bank.attach();
    running.push(feature);
    return feature;
  }

  /** 100 A at 12 V for 36 s in 6 s steps = 1 Ah and 12 Wh (1200 W × 0.01 h), starting at `t0`. */
  function charge36s(batteryId: string, address: string, t0: number, currentA = 100): void {
    for (let i = 0; i <= 6; i++) {
      bus.emit("reading", makeReading({ batteryId, address, time: t0 + i * 6000, voltageV: 12, currentA }));
    }
  }

  it("publishes each battery's counters retained under …/energy/<field>", async () => {
    await start();
    charge36s("1", A, clock.now());
    expect(mqtt.retainedPayload("accusolar/battery/1/energy/charged_ah")).toBe("1");
    expect(mqtt.retainedPayload("accusolar/battery/1/energy/charged_kwh")).toBe("0.012");
    expect(mqtt.retainedPayload("accusolar/battery/1/energy/discharged_ah")).toBe("0");
    const msg = mqtt.publishes.find((m) => m.topic === "accusolar/battery/1/energy/charged_ah");
    expect({ qos: msg?.qos, retain: msg?.retain }).toEqual({ qos: 1, retain: true });
  });

  it("publishes the bank total over all batteries", async () => {
    await start();
    charge36s("1", A, clock.now());
    charge36s("2", B, clock.now(), -200);
    expect(mqtt.retainedPayload("accusolar/bank/energy/charged_ah")).toBe("1");
    expect(mqtt.retainedPayload("accusolar/bank/energy/discharged_ah")).toBe("2");
    expect(mqtt.retainedPayload("accusolar/bank/energy/discharged_kwh")).toBe("0.024");
  });

  it("does not integrate across an offline gap", async () => {
    const feature = await start();
    const t0 = clock.now();
    bus.emit("reading", makeReading({ address: A, time: t0, voltageV: 12, currentA: 100 }));
    bus.emit("availability", { batteryId: "1", state: "offline", reason: "test", time: t0 + 3000 });
    bus.emit("reading", makeReading({ address: A, time: t0 + 6000, voltageV: 12, currentA: 100 }));
    expect(feature.counters("1")?.chargedAh).toBe(0);
    bus.emit("reading", makeReading({ address: A, time: t0 + 12_000, voltageV: 12, currentA: 100 }));
    expect(feature.counters("1")?.chargedAh).toBeCloseTo(6 / 36, 12);
  });

  it("saves on the throttle interval, not on every reading", async () => {
    await start(60_000);
    charge36s("1", A, clock.now());
    await expect(stat(statePath)).rejects.toThrow();
    clock.tick(60_000);
    await vi.waitFor(async () => {
      const saved = JSON.parse(await readFile(statePath, "utf8"));
      expect(saved.batteries[A].charged_ah).toBeCloseTo(1, 12);
    });
  });

  it("survives a restart: a second instance on the same file continues the counters", async () => {
    const first = await start();
    charge36s("1", A, clock.now());
    await first.stop();
    running.splice(0);

    mqtt = new FakeMqtt();
    const second = await start();
    expect(second.counters("1")?.chargedAh).toBeCloseTo(1, 12);
    expect(mqtt.retainedPayload("accusolar/battery/1/energy/charged_ah")).toBe("1");
    // The first reading after a restart starts a new run; the next 36 s add another 1 Ah.
    charge36s("1", A, clock.now() + 3_600_000);
    expect(second.counters("1")?.chargedAh).toBeCloseTo(2, 12);
  });

  it("republishes everything after a reconnect", async () => {
    await start();
    charge36s("1", A, clock.now());
    const before = mqtt.publishes.length;
    mqtt.connect();
    const again = mqtt.publishes.slice(before).map((m) => m.topic);
    expect(again).toContain("accusolar/battery/1/energy/charged_kwh");
    expect(again).toContain("accusolar/bank/energy/discharged_ah");
  });

  it("stops listening and leaves no timer behind", async () => {
    const feature = await start();
    await feature.stop();
    running.splice(0);
    expect(clock.pending).toBe(0);
    const count = mqtt.publishes.length;
    charge36s("1", A, clock.now());
    expect(mqtt.publishes.length).toBe(count);
  });
});

describe("energy counter feature with a bank window", () => {
  it("publishes each battery's counters with its reading and the bank total once per window", async () => {
    const dir = await mkdtemp(join(tmpdir(), "energy-window-"));
    const clock = new ManualClock(Date.UTC(2026, 1, 22, 12));
    const bus = new EventBus();
    const mqtt = new FakeMqtt();
    const state = createBridgeState({ bus, clock }, { batteryIds: ["1", "2"], bankWindowMs: 200 });
    const feature = createEnergyFeature(
      { logger: createMemoryLogger(), clock, bus, mqtt, state },
      { prefix: "accusolar", qos: 1, statePath: join(dir, "energy.json"), maxGapMs: 15_000 },
    );
    try {
      await feature.start();
      state.bank.attach();
      const t0 = clock.now();
      // 100 A and −200 A at 12 V for 36 s: 1 Ah charged into A, 2 Ah drawn from B
      for (let i = 0; i <= 6; i++) {
        bus.emit(
          "reading",
          makeReading({ batteryId: "1", address: A, time: t0 + i * 6000, voltageV: 12, currentA: 100 }),
        );
        bus.emit(
          "reading",
          makeReading({ batteryId: "2", address: B, time: t0 + i * 6000, voltageV: 12, currentA: -200 }),
        );
      }
      expect(mqtt.retainedPayload("accusolar/battery/1/energy/charged_ah")).toBe("1");
      expect(mqtt.retainedPayload("accusolar/battery/2/energy/discharged_ah")).toBe("2");
      expect(mqtt.publishesTo("accusolar/bank/energy/discharged_ah")).toHaveLength(0);
      clock.tick(200);
      expect(mqtt.publishesTo("accusolar/bank/energy/discharged_ah")).toHaveLength(1);
      expect(mqtt.retainedPayload("accusolar/bank/energy/charged_ah")).toBe("1");
      expect(mqtt.retainedPayload("accusolar/bank/energy/discharged_ah")).toBe("2");
    } finally {
      state.bank.detach();
      await feature.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The bridge over real TCP to the emulator's gateway server (what `bms-emu --tcp` serves): an RS485-to-
 * Ethernet gateway per battery, each its own poll group.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startBridge } from "../../src/bridge/bridge.js";
import { EventBus } from "../../src/bridge/event-bus.js";
import type { BatteryReading } from "../../src/bridge/types.js";
import { loadConfig } from "../../src/config/load.js";
import { startEmulator } from "../../src/emulator/app.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { FakeMqtt } from "../../src/testing/index.js";
import { systemClock } from "../../src/util/clock.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("bridge over TCP", () => {
  it("reads two emulated batteries behind TCP gateways and only ever reads", async () => {
    const emulator = await startEmulator({
      count: 2,
      faults: [],
      serve: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
    });
    cleanups.push(() => emulator.stop());
    const ports = emulator.served.endpoints.map((e) => e[0]?.port);
    const config = loadConfig({
      flags: { address: ports.map((p) => `tcp:127.0.0.1:${p}`) },
      file: { path: "t.yaml", text: "bridge: { poll_interval: 0.5 }" },
    });
    const bus = new EventBus();
    const readings: BatteryReading[] = [];
    bus.on("reading", (r) => readings.push(r));
    const bridge = await startBridge({
      config,
      logger: createMemoryLogger(),
      clock: systemClock,
      bus,
      mqtt: new FakeMqtt(),
    });
    cleanups.push(() => bridge.stop());
    expect(bridge.poller.groups.map((g) => g.key)).toEqual(ports.map((p) => `tcp:127.0.0.1:${p}`));
    const deadline = Date.now() + 15_000;
    const ids = config.batteries.map((b) => b.id);
    const seqs = () => ids.map((id) => readings.filter((r) => r.batteryId === id).length);
    while (Math.min(...seqs()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(Math.min(...seqs())).toBeGreaterThanOrEqual(3);
    const first = readings.find((r) => r.batteryId === ids[0]);
    expect(first?.address).toBe(`tcp:127.0.0.1:${ports[0]}`);
    expect(first?.basic.voltageV).toBeGreaterThan(10);
    expect(first?.cells.cellsMv).toHaveLength(4);
    await bridge.stop();
    const requests = emulator.batteries.flatMap((b) => b.requests);
    expect(requests.filter((r) => r.kind !== "request" || r.op !== "read")).toEqual([]);
    // one TCP connection per battery for the whole run: the model was read once per battery
    expect(requests.filter((r) => r.register === 0x05)).toHaveLength(2);
  });
});

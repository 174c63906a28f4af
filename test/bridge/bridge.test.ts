/**
 * The whole bridge against 8 in-process emulated batteries and the embedded broker, over real sockets:
 * readings for every battery reach MQTT, a battery that goes silent is reported offline and comes back
 * by itself, and the emulators' request records prove the bridge only ever read.
 */
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startBridge } from "../../src/bridge/bridge.js";
import { EventBus } from "../../src/bridge/event-bus.js";
import { startBroker } from "../../src/broker/broker.js";
import { loadConfig } from "../../src/config/load.js";
import type { Behavior } from "../../src/emulator/behaviors/behavior.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { createEmulatedBattery, FakeMqtt, linkToBattery } from "../../src/testing/index.js";
import { systemClock } from "../../src/util/clock.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** Collects retained and live messages; `until` waits for a condition on them. */
async function subscribe(url: string) {
  const messages = new Map<string, string>();
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync());
  client.on("message", (topic, payload) => messages.set(topic, payload.toString()));
  await client.subscribeAsync("accusolar/#");
  const until = async (what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { messages, until };
}

describe("startBridge with 8 emulated batteries and the embedded broker", () => {
  it("publishes every battery, reports a silent one offline and back online, and never writes", async () => {
    const logger = createMemoryLogger("info");
    const broker = await startBroker({ hosts: ["127.0.0.1"], port: 0, wsPort: null, logger });
    cleanups.push(() => broker.close());
    let silent = false;
    const silence: Behavior = { name: "silence", stage: "frame", apply: (plan) => (silent ? [] : plan) };
    const batteries = Array.from({ length: 8 }, (_, i) =>
      createEmulatedBattery({
        address: `A5:C2:37:00:00:0${i + 1}`,
        ...(i === 2 && { behaviors: [silence] }),
      }),
    );
    const memory = new Map(
      batteries.map((battery, i) => [`b${i + 1}`, () => linkToBattery(battery)] as const),
    );
    const config = loadConfig({
      flags: {
        address: batteries.map((_, i) => `memory:b${i + 1}`),
        broker: "127.0.0.1",
        port: String(broker.ports.mqtt),
      },
      file: {
        path: "test.yaml",
        text: "bridge: { poll_interval: 0.5, request_timeout: 0.2, request_attempts: 1, stale_after_polls: 2, offline_after_polls: 4, backoff_max: 1 }",
      },
    });
    const bridge = await startBridge({ config, logger, clock: systemClock, memory });
    cleanups.push(() => bridge.stop());
    const sub = await subscribe(`mqtt://127.0.0.1:${broker.ports.mqtt}`);

    const ids = ["1", "2", "3", "4", "5", "6", "7", "8"];
    // a battery's availability is its own message, published after its telemetry: wait for both
    await sub.until("voltage and availability of all 8 batteries", () =>
      ids.every(
        (id) =>
          sub.messages.has(`accusolar/battery/${id}/voltage`) &&
          sub.messages.has(`accusolar/battery/${id}/availability`),
      ),
    );
    for (const id of ids) {
      expect(Number(sub.messages.get(`accusolar/battery/${id}/voltage`))).toBeGreaterThan(10);
      expect(sub.messages.get(`accusolar/battery/${id}/availability`)).toBe("online");
    }
    expect(sub.messages.get("accusolar/bridge/state")).toBe("online");

    silent = true;
    await sub.until(
      "battery 3 offline",
      () => sub.messages.get("accusolar/battery/3/availability") === "offline",
    );
    // the others keep publishing meanwhile (seq grows), whatever the machine's load does to timing
    const before = sub.messages.get("accusolar/battery/1/status");
    await sub.until(
      "battery 1 still publishing",
      () => sub.messages.get("accusolar/battery/1/status") !== before,
    );
    silent = false;
    await sub.until(
      "battery 3 online again",
      () => sub.messages.get("accusolar/battery/3/availability") === "online",
    );

    await bridge.stop();
    await sub.until("bridge state offline", () => sub.messages.get("accusolar/bridge/state") === "offline");

    const requests = batteries.flatMap((battery) => battery.requests);
    expect(requests.length).toBeGreaterThan(8 * 3);
    expect(requests.filter((r) => r.kind !== "request" || r.op !== "read")).toEqual([]);
    expect(new Set(requests.map((r) => r.register))).toEqual(new Set([0x03, 0x04, 0x05]));
  });

  it("starts while the broker is down and publishes once it comes up", async () => {
    const logger = createMemoryLogger("info");
    const probe = await startBroker({ hosts: ["127.0.0.1"], port: 0, wsPort: null, logger });
    const port = probe.ports.mqtt;
    await probe.close(); // the port is free now: nothing listens there
    const battery = createEmulatedBattery();
    const config = loadConfig({
      flags: { address: ["memory:one"], broker: "127.0.0.1", port: String(port) },
      file: { path: "t.yaml", text: "bridge: { poll_interval: 0.5 }" },
    });
    const bridge = await startBridge({
      config,
      logger,
      clock: systemClock,
      memory: new Map([["one", () => linkToBattery(battery)]]),
    });
    cleanups.push(() => bridge.stop());
    const broker = await startBroker({ hosts: ["127.0.0.1"], port, wsPort: null, logger });
    cleanups.push(() => broker.close());
    const sub = await subscribe(`mqtt://127.0.0.1:${port}`);
    await sub.until("a reading", () => sub.messages.has("accusolar/battery/voltage"), 30_000);
    expect(Number(sub.messages.get("accusolar/battery/soc"))).toBeGreaterThanOrEqual(0);
  });
});

describe("startBridge features", () => {
  async function runOnce(env: Record<string, string>): Promise<FakeMqtt> {
    const mqtt = new FakeMqtt();
    const battery = createEmulatedBattery();
    const config = loadConfig({ env: { BMS_ADDRESS: "memory:one", POLL_INTERVAL: "0.5", ...env } });
    const bus = new EventBus();
    let readings = 0;
    bus.on("reading", () => readings++);
    const bridge = await startBridge({
      config,
      logger: createMemoryLogger(),
      clock: systemClock,
      bus,
      mqtt,
      memory: new Map([["one", () => linkToBattery(battery)]]),
    });
    const deadline = Date.now() + 15_000;
    while (readings < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await bridge.stop();
    expect(readings).toBeGreaterThanOrEqual(2);
    return mqtt;
  }

  it("announces the battery to Home Assistant with HA_DISCOVERY=1, and not by default (opt-in)", async () => {
    const on = await runOnce({ HA_DISCOVERY: "1" });
    const off = await runOnce({});
    const discovery = (mqtt: FakeMqtt) => mqtt.publishes.filter((p) => p.topic.startsWith("homeassistant/"));
    expect(discovery(on).length).toBeGreaterThan(0);
    expect(discovery(off)).toEqual([]);
    expect(on.publishesTo("accusolar/battery/voltage")[0]?.payload).toMatch(/^\d+\.\d\d$/);
    // a clean stop leaves nothing the app would show as live
    expect(on.retained.get("accusolar/battery/voltage")).toBeUndefined();
  });

  it("says a battery is online before it publishes the battery's first values", async () => {
    // A subscriber that sees a battery's voltage must also see it online (HA marks values of an
    // unavailable battery unavailable; the 8-battery test above reads them in this order too).
    const mqtt = await runOnce({});
    const first = (topic: string, payload?: string) =>
      mqtt.publishes.findIndex((p) => p.topic === topic && (payload === undefined || p.payload === payload));
    const online = first("accusolar/battery/1/availability", "online");
    expect(online).toBeGreaterThanOrEqual(0);
    expect(first("accusolar/battery/1/voltage")).toBeGreaterThan(online);
    expect(first("accusolar/battery/voltage")).toBeGreaterThan(online);
  });
});

import { describe, expect, it } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import {
  type BridgeHealthSource,
  createLinkHealthFeature,
} from "../../../../src/bridge/features/link-health/link-health-feature.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import type { PollOutcome } from "../../../../src/bridge/types.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FakeMqtt, ManualClock } from "../../../../src/testing/index.js";
import type { AdapterHealth } from "../../../../src/transport/open-link.js";

const flush = () => new Promise((resolve) => setImmediate(resolve));

async function setup() {
  const clock = new ManualClock();
  const bus = new EventBus();
  const mqtt = new FakeMqtt();
  const state = createBridgeState({ bus, clock }, { batteryIds: ["1", "2"], bankWindowMs: 0 });
  const adapter: AdapterHealth = {
    hci: "uart:/dev/ttyUSB0",
    state: "up",
    losses: 2,
    resets: 1,
    recoveries: 3,
    queueDepth: 1,
    lastProblem: { reason: "its serial port /dev/ttyUSB0 is gone (unplugged?)", time: clock.now() },
  };
  const health: BridgeHealthSource = {
    startedAt: clock.now(),
    adapters: () => [adapter],
    mqttQueued: () => 4,
    memory: () => ({ rssBytes: 92.4 * 1024 * 1024, heapUsedBytes: 20 * 1024 * 1024 }),
  };
  const feature = createLinkHealthFeature(
    { logger: createMemoryLogger(), clock, bus, mqtt, state, health },
    { prefix: "accusolar", bridgeId: "pi-1", qos: 2, periodMs: 30_000 },
  );
  await feature.start();
  const poll = (batteryId: string, ok: boolean, extra: Partial<PollOutcome> = {}) =>
    bus.emit("poll", { batteryId, time: clock.now(), ok, reconnected: false, ...extra });
  const json = (topic: string) => JSON.parse(mqtt.retainedPayload(topic) ?? "null");
  return { clock, bus, mqtt, feature, poll, json };
}

describe("the link-health feature", () => {
  it("publishes each bridge's health under its own id, and clears the one topic 0.1.0 bridges shared", async () => {
    const { mqtt, json } = await setup();
    // what a 0.1.0 bridge of the site left retained
    await mqtt.publish("accusolar/bridge/health", '{"uptime_s":9}', { retain: true });
    mqtt.connect();
    await flush();
    expect(mqtt.retainedPayload("accusolar/bridge/health")).toBeUndefined();
    expect(json("accusolar/bridge/pi-1/health")).toMatchObject({ state: "running", uptime_s: 0 });
  });

  it("reports the bridge at start when the connection was up before it (no connect is coming), the batteries a period later", async () => {
    const { mqtt, json } = await setup();
    // no connect(), no tick: a last run's `stopped` is replaced at once
    expect(json("accusolar/bridge/pi-1/health")).toMatchObject({ state: "running", uptime_s: 0 });
    expect(mqtt.retainedTopics("accusolar/battery/#")).toEqual([]); // nothing polled yet to report
  });

  it("publishes each battery's link report and the bridge's health, retained at the configured QoS, every period", async () => {
    const { clock, mqtt, poll, json, feature } = await setup();
    for (let i = 0; i < 4; i++) {
      poll("1", i !== 2, { rssi: -60 - i });
      clock.tick(1000);
    }
    expect(mqtt.retainedPayload("accusolar/battery/1/link")).toBeUndefined(); // not before the period
    clock.tick(26_000);
    await flush();
    expect(json("accusolar/battery/1/link")).toMatchObject({
      rssi: -63,
      quality_pct: 75,
      polls: 4,
      reads_ok: 3,
      reads_failed: 1,
      reconnects: 0,
      availability: "unknown",
    });
    expect(json("accusolar/battery/2/link")).toMatchObject({ polls: 0, reads_ok: 0 });
    expect(json("accusolar/bridge/pi-1/health")).toEqual({
      state: "running",
      uptime_s: 30,
      adapters: [
        {
          hci: "uart:/dev/ttyUSB0",
          state: "up",
          losses: 2,
          resets: 1,
          recoveries: 3,
          queue_depth: 1,
          last_problem: {
            reason: "its serial port /dev/ttyUSB0 is gone (unplugged?)",
            at: new Date(clock.now() - 30_000).toISOString(),
          },
        },
      ],
      adapter_losses: 2,
      adapter_resets: 1,
      adapter_queue_depth: 1,
      mqtt_queue_depth: 4,
      rss_mb: 92.4,
      heap_mb: 20,
      timestamp: new Date(clock.now()).toISOString(),
    });
    const health = mqtt.publishes.filter((p) => p.topic.endsWith("/link") || p.topic.endsWith("/health"));
    expect(health.every((p) => p.retain && p.qos === 2)).toBe(true);
    const count = health.length;
    clock.tick(30_000);
    await flush();
    expect(
      mqtt.publishes.filter((p) => p.topic.endsWith("/link") || p.topic.endsWith("/health")).length,
    ).toBe(count + 3);
    await feature.stop();
  });

  it("leaves a last report saying offline for each battery it read, and stopped for the bridge, when it stops", async () => {
    const { bus, clock, mqtt, feature, json } = await setup();
    bus.emit("availability", { batteryId: "1", state: "online", reason: "reading ok", time: clock.now() });
    await flush();
    expect(json("accusolar/battery/1/link")).toMatchObject({ availability: "online" });
    clock.tick(5000);
    await feature.stop();
    expect(json("accusolar/battery/1/link")).toMatchObject({ availability: "offline" });
    expect(json("accusolar/bridge/pi-1/health")).toMatchObject({ state: "stopped", uptime_s: 5 });
    // battery 2 was never heard of: no report invented for it
    expect(mqtt.retainedPayload("accusolar/battery/2/link")).toBeUndefined();
  });

  it("publishes a battery's report at once when its availability changes, and the bridge's when an adapter does", async () => {
    const { bus, clock, mqtt, poll, json } = await setup();
    const bridgeReports = () => mqtt.publishesTo("accusolar/bridge/pi-1/health").length;
    expect(bridgeReports()).toBe(1); // the one at start
    poll("2", false, {
      error: { code: "ADAPTER_LOST", cause: "adapter_lost", message: "Bluetooth adapter hci0 lost" },
    });
    bus.emit("availability", {
      batteryId: "2",
      state: "offline",
      reason: "no valid reading",
      time: clock.now(),
    });
    expect(json("accusolar/battery/2/link")).toMatchObject({
      availability: "offline",
      reads_failed: 1,
      last_error: { cause: "adapter_lost", code: "ADAPTER_LOST" },
    });
    expect(bridgeReports()).toBe(1); // a battery's change is not the bridge's
    bus.emit("adapter", { type: "lost", hci: "hci0", reason: "it went poweredOff" });
    expect(json("accusolar/bridge/pi-1/health")).toMatchObject({ adapter_losses: 2 });
  });
});

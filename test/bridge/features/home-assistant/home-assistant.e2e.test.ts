/**
 * Discovery through a real Mosquitto: configs end up retained (a fresh subscriber receives them), a stale
 * config of a removed battery is cleared, another bridge's config is left alone.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import { createHaDiscovery } from "../../../../src/bridge/features/home-assistant/home-assistant.js";
import { MqttConnection } from "../../../../src/bridge/mqtt/connection.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import {
  mosquittoSkipReason,
  type RunningMosquitto,
  sampleReading,
  startMosquitto,
} from "../../../../src/testing/index.js";
import { systemClock } from "../../../../src/util/clock.js";
import { problems } from "./ha-schema.js";

const A = "A5:C2:37:3C:76:D2";
const STALE = "homeassistant/sensor/bmsbridge_a5c237411de0_voltage/config";
const FOREIGN = "homeassistant/sensor/bmsbridge_a5c2373c76d2_voltage_garage/config";

/** Everything retained under `filter`, as a client connecting now receives it. */
async function retainedUnder(url: string, filter: string): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(url, { clientId: `ha-e2e-reader-${process.pid}` });
  const seen = new Map<string, string>();
  const sentinel = `e2e/sentinel/${process.pid}`;
  const done = new Promise<void>((resolve) => {
    client.on("message", (topic, payload, packet) => {
      if (topic === sentinel) resolve();
      else if (packet.retain) seen.set(topic, payload.toString());
    });
  });
  await client.subscribeAsync([filter, sentinel], { qos: 1 });
  // Mosquitto sends a subscription's retained messages before it handles our next packet, so the
  // sentinel coming back means every retained config has arrived.
  await client.publishAsync(sentinel, "x", { qos: 1 });
  await done;
  await client.endAsync();
  return seen;
}

describe.skipIf(mosquittoSkipReason())("Home Assistant discovery through a real Mosquitto", () => {
  let broker: RunningMosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  it("leaves every config retained, clears the removed battery's config and keeps another bridge's", async () => {
    const seeder = await mqtt.connectAsync(broker.url, { clientId: `ha-e2e-seeder-${process.pid}` });
    const own = (uniqueId: string, prefix: string) =>
      JSON.stringify({
        name: "old",
        state_topic: "x",
        unique_id: uniqueId,
        availability: [{ topic: `${prefix}/bridge/state` }],
      });
    await seeder.publishAsync(STALE, own("bmsbridge_a5c237411de0_voltage", "accusolar"), {
      qos: 1,
      retain: true,
    });
    await seeder.publishAsync(FOREIGN, own("bmsbridge_a5c2373c76d2_voltage_garage", "garage"), {
      qos: 1,
      retain: true,
    });
    await seeder.endAsync();

    const logger = createMemoryLogger();
    const connection = new MqttConnection(
      { logger, clock: systemClock },
      { url: broker.url, prefix: "accusolar" },
    );
    await connection.start();
    await connection.waitForConnect();
    const bus = new EventBus();
    const feature = createHaDiscovery(
      {
        logger,
        clock: systemClock,
        bus,
        mqtt: connection,
        state: createBridgeState({ bus, clock: systemClock }, { batteryIds: ["1"], bankWindowMs: 0 }),
      },
      {
        prefix: "accusolar",
        qos: 1,
        energy: true,
        bank: true,
        swVersion: "0.1.0",
        bridgeId: "pi-1",
        batteries: [{ id: "1", address: A }],
        staleScanMs: 500,
      },
    );
    await feature.start();
    await feature.scanned;
    bus.emit("reading", sampleReading({ address: A, model: "DP04S007L4S200A" }));
    await connection.whenDelivered();
    await feature.stop();
    await connection.stop();

    const retained = await retainedUnder(broker.url, "homeassistant/#");
    const ours = [...retained.keys()].filter((t) => t.includes("bmsbridge_a5c2373c76d2_") && t !== FOREIGN);
    expect(ours).toHaveLength(16 + 15 + 3 + 4 + 4 + 5); // + 5 link-health diagnostics
    const bridgeConfigs = [...retained.keys()].filter((t) => t.includes("bmsbridge_bridge_accusolar_"));
    expect(bridgeConfigs).toHaveLength(5);
    const bankConfigs = [...retained.keys()].filter((t) => t.includes("bmsbridge_bank_accusolar_"));
    expect(bankConfigs).toHaveLength(15 + 4);
    for (const topic of [...ours, ...bridgeConfigs])
      expect(problems(topic, JSON.parse(retained.get(topic) ?? "")), topic).toEqual([]);
    expect(retained.has(STALE)).toBe(false);
    expect(retained.has(FOREIGN)).toBe(true);
    expect(logger.records.some((r) => r.message === `cleared stale Home Assistant config ${STALE}`)).toBe(
      true,
    );
  });
});

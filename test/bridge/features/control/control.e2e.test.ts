/**
 * MOSFET control through a real Mosquitto (MQTT 5): the bridge's own MQTT connection, an emulated battery
 * and a client that commands with a user property. A command left retained on the broker before the
 * bridge started is refused (the retain flag reaches the control feature), a live one is executed once.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBridge, startBridge } from "../../../../src/bridge/bridge.js";
import { loadConfig } from "../../../../src/config/load.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { createEmulatedBattery, linkToBattery } from "../../../../src/testing/index.js";
import {
  mosquittoSkipReason,
  type RunningMosquitto,
  startMosquitto,
} from "../../../../src/testing/mosquitto.js";
import { systemClock } from "../../../../src/util/clock.js";

describe.skipIf(mosquittoSkipReason() !== undefined)("MOSFET control through Mosquitto", () => {
  let broker: RunningMosquitto;
  let bridge: RunningBridge;
  let client: mqtt.MqttClient;
  const battery = createEmulatedBattery({ speed: 0 });
  const logger = createMemoryLogger("info");
  const messages: Array<{ topic: string; payload: string }> = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    client.on("message", (topic, payload) => messages.push({ topic, payload: payload.toString() }));
    await client.subscribeAsync("accusolar/battery/1/#");
    // a stale command someone left retained: it must never act
    await client.publishAsync("accusolar/battery/1/set/discharge", "OFF", { retain: true, qos: 1 });
    const config = loadConfig({
      flags: { address: ["memory:b"], broker: broker.url, allowControl: true, haDiscovery: false },
      file: { path: "t.json", text: JSON.stringify({ bridge: { poll_interval: 0.5, jitter: 0 } }) },
    });
    bridge = await startBridge({
      config,
      logger,
      clock: systemClock,
      memory: new Map([["b", () => linkToBattery(battery)]]),
    });
  }, 30_000);

  afterAll(async () => {
    await bridge?.stop();
    await client?.endAsync();
    await broker?.dispose();
  });

  const results = () =>
    messages.filter((m) => m.topic === "accusolar/battery/1/set/result").map((m) => JSON.parse(m.payload));
  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it("refuses the retained command and executes a live one, logging the MQTT 5 user property", async () => {
    await until(() => results().length >= 1, "the retained command's result");
    expect(results()[0]).toMatchObject({
      outcome: "rejected",
      request: { field: "discharge", state: "OFF" },
    });
    expect(results()[0].reason).toContain("retained command ignored");

    await client.publishAsync("accusolar/battery/1/set/charge", "OFF", {
      qos: 1,
      properties: { userProperties: { requested_by: "e2e-test" }, responseTopic: "e2e/replies" },
    });
    await until(() => results().length >= 2, "the live command's result");
    expect(results()[1]).toMatchObject({ outcome: "confirmed", charge_fet: "OFF", discharge_fet: "ON" });
    await until(
      () => messages.some((m) => m.topic === "accusolar/battery/1/charge_fet" && m.payload === "OFF"),
      "charge_fet OFF",
    );

    const writes = battery.requests.filter((r) => r.op === "write");
    expect(writes.map((w) => [w.register, ...(w.data ?? [])])).toEqual([[0xe1, 0x00, 0x01]]);
    const line = logger.records.find((r) => r.message.includes("→ confirmed"))?.message ?? "";
    expect(line).toContain('user property requested_by="e2e-test"');
    expect(line).toContain("response topic e2e/replies");
  }, 40_000);
});

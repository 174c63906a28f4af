/**
 * The embedded broker clears what a dead bridge left retained (src/broker/crash-cleanup.ts): bridges are
 * played by mqtt.js clients that publish what a bridge publishes (docs/mqtt.md topic table) and have its
 * last will; a crash is the client's socket destroyed without DISCONNECT.
 */
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "../../src/broker/broker.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { readRetained } from "../support/retained.js";

const P = "accusolar";
const running: Array<{ end(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.end();
});

async function brokerWithLog() {
  const logger = createMemoryLogger("info");
  const broker: RunningBroker = await startBroker({ port: 0, wsPort: null, logger });
  running.push({ end: () => broker.close() });
  return { url: `mqtt://127.0.0.1:${broker.ports.mqtt}`, logger };
}

/** A bridge's retained topics: its state, info, the site state, and per battery availability + values. */
async function fakeBridge(
  url: string,
  bridgeId: string,
  batteries: string[],
  bank = false,
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: `bms-bridge-${bridgeId}`,
    will: { topic: `${P}/bridge/${bridgeId}/state`, payload: Buffer.from("offline"), qos: 1, retain: true },
  });
  running.push({ end: () => client.endAsync(true) });
  const retain = (topic: string, payload: string) =>
    client.publishAsync(topic, payload, { qos: 1, retain: true });
  await retain(`${P}/bridge/${bridgeId}/state`, "online");
  await retain(`${P}/bridge/${bridgeId}/info`, JSON.stringify({ bank: "auto", batteries, version: "0.1.0" }));
  await retain(`${P}/bridge/state`, "online");
  for (const id of batteries) {
    await retain(`${P}/battery/${id}/availability`, "online");
    await retain(`${P}/battery/${id}/voltage`, "13.30");
    await retain(`${P}/battery/${id}/status`, JSON.stringify({ bridge: bridgeId, soc: 70 }));
  }
  if (bank) {
    for (const leaf of ["voltage", "current", "soc", "cells"]) await retain(`${P}/battery/${leaf}`, "1");
    await retain(`${P}/battery/status`, JSON.stringify({ bridge: bridgeId }));
    await retain(`${P}/system/health`, "ok");
    await retain(`${P}/bank/voltage`, "13.30");
    await retain(`${P}/bank/status`, "{}");
  }
  return client;
}

/** The broker's word that the clean-up is over: its log line. */
async function cleanedUp(logger: ReturnType<typeof createMemoryLogger>, bridgeId: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const line = logger.records.find((r) => r.message.startsWith(`bridge ${bridgeId} `))?.message;
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no clean-up line for bridge ${bridgeId}: ${JSON.stringify(logger.records)}`);
}

const crash = (client: MqttClient): void => {
  client.stream.destroy();
};

describe("embedded broker: a dead bridge's retained values", () => {
  it("a lone bridge's crash leaves nothing live: batteries offline, values and site cleared", async () => {
    const { url, logger } = await brokerWithLog();
    crash(await fakeBridge(url, "pi-a", ["b1", "b2"], true));
    const line = await cleanedUp(logger, "pi-a");
    expect(line).toBe(
      "bridge pi-a (accusolar) died: its batteries b1, b2 offline, their values cleared; " +
        "no bridge of the site is left: the site's values cleared and the site offline",
    );
    const left = await readRetained(url, `${P}/#`);
    expect(Object.fromEntries(left)).toEqual({
      [`${P}/bridge/pi-a/state`]: "offline",
      [`${P}/bridge/pi-a/info`]: JSON.stringify({ bank: "auto", batteries: ["b1", "b2"], version: "0.1.0" }),
      [`${P}/bridge/state`]: "offline",
      [`${P}/battery/b1/availability`]: "offline",
      [`${P}/battery/b2/availability`]: "offline",
    });
  });

  it("with another bridge online, only the dead bridge's batteries go; the site and bank stay", async () => {
    const { url, logger } = await brokerWithLog();
    await fakeBridge(url, "pi-a", ["a1"], true);
    crash(await fakeBridge(url, "pi-b", ["b1"]));
    expect(await cleanedUp(logger, "pi-b")).toBe(
      "bridge pi-b (accusolar) died: its batteries b1 offline, their values cleared",
    );
    const left = await readRetained(url, `${P}/#`);
    expect(left.get(`${P}/battery/b1/availability`)).toBe("offline");
    expect(left.has(`${P}/battery/b1/voltage`)).toBe(false);
    expect(left.has(`${P}/battery/b1/status`)).toBe(false);
    expect(left.get(`${P}/battery/a1/availability`)).toBe("online");
    expect(left.get(`${P}/battery/a1/voltage`)).toBe("13.30");
    expect(left.get(`${P}/battery/voltage`)).toBe("1");
    expect(left.get(`${P}/bank/voltage`)).toBe("13.30");
    expect(left.get(`${P}/bridge/state`)).toBe("online");
  });

  it("a battery another bridge now reads (its status names that bridge) is left alone", async () => {
    const { url, logger } = await brokerWithLog();
    const dying = await fakeBridge(url, "pi-b", ["moved", "b2"]);
    await fakeBridge(url, "pi-a", ["moved"]);
    crash(dying);
    expect(await cleanedUp(logger, "pi-b")).toContain("its batteries b2 offline");
    const left = await readRetained(url, `${P}/battery/+/availability`);
    expect(left.get(`${P}/battery/moved/availability`)).toBe("online");
    expect(left.get(`${P}/battery/b2/availability`)).toBe("offline");
  });

  it("a clean disconnect sends no will, and the broker leaves the bridge's topics as it left them", async () => {
    const { url, logger } = await brokerWithLog();
    const client = await fakeBridge(url, "pi-a", ["b1"], true);
    await client.publishAsync(`${P}/bridge/pi-a/state`, "offline", { qos: 1, retain: true });
    await client.endAsync();
    // a second bridge's crash is the marker that the broker has handled everything before it
    crash(await fakeBridge(url, "pi-z", ["z1"]));
    await cleanedUp(logger, "pi-z");
    expect(logger.records.some((r) => r.message.startsWith("bridge pi-a "))).toBe(false);
    const left = await readRetained(url, `${P}/battery/#`);
    expect(left.get(`${P}/battery/b1/availability`)).toBe("online");
    expect(left.get(`${P}/battery/b1/voltage`)).toBe("13.30");
  });

  it("a will of something that is not a bridge state is not acted on", async () => {
    const { url, logger } = await brokerWithLog();
    await fakeBridge(url, "pi-a", ["a1"]);
    const other = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      will: { topic: `${P}/bridge/pi-a/status`, payload: Buffer.from("offline"), qos: 1, retain: true },
    });
    crash(other);
    crash(await fakeBridge(url, "pi-z", ["z1"]));
    await cleanedUp(logger, "pi-z");
    expect(logger.records.some((r) => r.message.startsWith("bridge pi-a "))).toBe(false);
    expect((await readRetained(url, `${P}/battery/a1/voltage`)).get(`${P}/battery/a1/voltage`)).toBe("13.30");
  });
});

/**
 * Broker faults, with the bridge as a PROCESS and a real Mosquitto: restarted five times during a run
 * (QoS 1, bounded offline queue), every reading made during an outage arrives after the reconnect,
 * checked by the status JSON's `seq`; with a small queue bound the oldest are dropped, counted and
 * logged, and the newest kept; and a bridge killed with SIGKILL leaves `bridge/state` = offline through
 * its last will.
 */
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { mosquittoSkipReason, type RunningMosquitto, startMosquitto } from "../../src/testing/mosquitto.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { bridgeConfig, publishedStatuses } from "./support/fault-suite.js";
import { type Observer, observe } from "./support/observer.js";
import { startRecordingBattery } from "./support/recording-battery.js";

const OUTAGE_MS = 2500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function setUp(queueLimit?: number) {
  // persistence keeps the observer's session (and its queued QoS 1 messages) across a graceful restart
  const broker = await startMosquitto({ persistence: true });
  cleanups.push(() => broker.dispose());
  const battery = await startRecordingBattery();
  cleanups.push(() => battery.close());
  const sub = await observe(broker.url, "accusolar/#", `e2e-observer-${process.pid}-${Date.now()}`);
  cleanups.push(() => sub.close());
  const mqttKeys = queueLimit === undefined ? {} : { queue_limit: queueLimit };
  const bridge = startBridgeProcess(bridgeConfig(broker.port, [battery.address], {}, mqttKeys));
  cleanups.push(() => bridge.stop());
  await sub.until("a first reading", () => publishedStatuses(sub, "1").length > 0, 30_000);
  return { broker, battery, sub, bridge };
}

const seqs = (sub: Observer) => [...new Set(publishedStatuses(sub, "1").map((s) => s.seq as number))];
const connects = (bridge: BridgeProcess) => bridge.lines().filter((l) => l.includes("MQTT connected")).length;

/** Stops the broker for OUTAGE_MS, restarts it, waits until the bridge is back and a reading arrived. */
async function outage(broker: RunningMosquitto, bridge: BridgeProcess, sub: Observer) {
  const before = connects(bridge);
  await broker.stop();
  const from = Date.now();
  await sleep(OUTAGE_MS);
  const to = Date.now();
  await broker.restart();
  await sub.until("the bridge reconnected", () => connects(bridge) > before, 40_000);
  const count = seqs(sub).length;
  await sub.until("a reading after the reconnect", () => seqs(sub).length > count, 20_000);
  return { from, to };
}

const skip = mosquittoSkipReason() !== undefined;

describe.skipIf(skip)("the bridge process when the broker goes away", () => {
  it("delivers every reading made during five broker restarts after each reconnect (QoS 1, 0 lost)", async () => {
    const { broker, sub, bridge } = await setUp();
    const windows: Array<{ from: number; to: number }> = [];
    for (let i = 0; i < 5; i++) windows.push(await outage(broker, bridge, sub));
    await sleep(1500);

    const seen = seqs(sub).sort((a, b) => a - b);
    const first = seen[0] as number;
    const last = seen.at(-1) as number;
    const missing = Array.from({ length: last - first + 1 }, (_, i) => first + i).filter(
      (s) => !seen.includes(s),
    );
    expect(missing).toEqual([]);
    // and each outage really had readings to keep: statuses whose reading time lies inside it arrived
    const times = publishedStatuses(sub, "1").map((s) => Date.parse(s.timestamp as string));
    for (const { from, to } of windows) {
      expect(times.filter((t) => t > from && t < to).length).toBeGreaterThanOrEqual(2);
    }
    expect(bridge.running()).toBe(true);
    expect(bridge.lines().filter((l) => l.includes("dropped"))).toEqual([]);
  }, 180_000);

  it("drops the OLDEST beyond a small queue bound, counts and logs them once per outage, keeps the newest", async () => {
    // one reading is about two dozen publishes (per-battery and plain topics), so 30 holds about one
    const { broker, sub, bridge } = await setUp(30);
    const lastBefore = Math.max(...seqs(sub));
    await outage(broker, bridge, sub);
    await sleep(1000);

    const after = seqs(sub)
      .filter((s) => s > lastBefore)
      .sort((a, b) => a - b);
    const firstAfter = after[0] as number;
    // readings lastBefore+1 … firstAfter-1 were lost with the dropped publishes: the oldest went first
    expect(firstAfter).toBeGreaterThan(lastBefore + 1);
    const missing = after.filter((s, i) => i > 0 && s !== (after[i - 1] as number) + 1);
    expect(missing).toEqual([]); // from the first kept one on, nothing is missing
    const dropLines = bridge
      .lines()
      .filter((l) => /MQTT dropped the \d+ oldest messages while offline/.test(l));
    expect(dropLines).toHaveLength(1);
    expect(bridge.lines().filter((l) => l.includes("offline queue full"))).toHaveLength(1);
    expect(bridge.running()).toBe(true);
  }, 120_000);

  it("leaves bridge/state offline through its last will when killed with SIGKILL", async () => {
    const { broker, bridge } = await setUp();
    const state = async () => {
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
      let value: string | undefined;
      client.on("message", (_topic, payload) => {
        value = payload.toString();
      });
      await client.subscribeAsync("accusolar/bridge/state");
      await sleep(500);
      await client.endAsync();
      return value;
    };
    expect(await state()).toBe("online");
    await bridge.kill();
    let seen: string | undefined;
    for (let i = 0; i < 20 && seen !== "offline"; i++) seen = await state();
    expect(seen).toBe("offline");
  }, 60_000);
});

/**
 * startup_ms: from spawning `bms-bridge run` (dist/ when built, else tsx) to the first telemetry message
 * at a subscriber on a local Mosquitto, reading one emulated battery over TCP; median of several starts.
 * Each start uses its own topic prefix, so no retained message from an earlier start can answer early.
 */
import mqtt from "mqtt";
import { createEmulatedBattery } from "../src/emulator/battery.js";
import { serveTcp } from "../src/emulator/tcp-server.js";
import { findMosquitto, startMosquitto } from "../src/testing/mosquitto.js";
import { percentile, round, startBridge } from "./bridge-process.js";
import type { BenchSection } from "./types.js";
import { UNPACED } from "./unpaced.js";

async function oneStart(brokerUrl: string, brokerPort: number, gatewayPort: number, prefix: string) {
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, reconnectPeriod: 0 });
  await client.subscribeAsync(`${prefix}/battery/voltage`);
  const first = new Promise<number>((resolve) => client.once("message", () => resolve(performance.now())));
  const started = performance.now();
  const bridge = startBridge({
    batteries: [{ address: `tcp:127.0.0.1:${gatewayPort}` }],
    mqtt: { broker: "127.0.0.1", port: brokerPort, ha_discovery: false, topic_prefix: prefix },
    bridge: { poll_interval: 1 },
    log: { level: "warn" },
  });
  const limit = new Promise<number>((_, reject) =>
    setTimeout(() => reject(new Error("no publish within 30 s")), 30_000).unref(),
  );
  try {
    return { ms: (await Promise.race([first, limit])) - started, how: bridge.how };
  } finally {
    await bridge.stop();
    await client.endAsync();
  }
}

export const startupSection: BenchSection = {
  name: "startup",
  async run({ quick, log }) {
    if (!findMosquitto())
      return { figures: [], problems: process.env.CI === "true" ? ["mosquitto missing"] : [] };
    const broker = await startMosquitto();
    const battery = createEmulatedBattery();
    const gateway = await serveTcp(battery, { host: "127.0.0.1", port: 0, pacing: UNPACED });
    const times: number[] = [];
    try {
      for (let i = 0; i < (quick ? 2 : 7); i++) {
        const { ms, how } = await oneStart(broker.url, broker.port, gateway.port, `startup${i}`);
        log(`startup: ${ms.toFixed(0)} ms (${how})`);
        times.push(ms);
      }
    } finally {
      await gateway.close();
      battery.close();
      await broker.dispose();
    }
    return { figures: [{ key: "startup_ms", value: round(percentile(times, 50), 0), unit: "ms" }] };
  },
};

/**
 * e2e_latency_ms_p50 / _p99: a change of the emulated battery's state to the message carrying it at an
 * external `mosquitto_sub`, through the bridge PROCESS and a real Mosquitto.
 *
 * Method: the battery (speed 0, so nothing else moves) gets a new, distinct current at a random moment of
 * the poll cycle. The bridge cannot see it before its next request, and that wait (the poll phase, up to one
 * interval) depends only on the interval, so it is subtracted: latency = arrival of the new value at
 * mosquitto_sub − arrival of the first 0x03 request after the change (the emulator's request log). What is
 * left is request → reply → decode → publish → broker → subscriber. All three clocks are this process's.
 */
import { spawn } from "node:child_process";
import { createEmulatedBattery } from "../src/emulator/battery.js";
import { serveTcp } from "../src/emulator/tcp-server.js";
import { findMosquitto, startMosquitto } from "../src/testing/mosquitto.js";
import { percentile, round, sleep, startBridge } from "./bridge-process.js";
import type { BenchSection } from "./types.js";
import { UNPACED } from "./unpaced.js";

const POLL_S = 0.5;

export const latencySection: BenchSection = {
  name: "latency",
  async run({ quick, log }) {
    if (!findMosquitto())
      return { figures: [], problems: process.env.CI === "true" ? ["mosquitto missing"] : [] };
    const broker = await startMosquitto();
    const battery = createEmulatedBattery({ speed: 0 });
    battery.model.setDemand(1);
    const gateway = await serveTcp(battery, { host: "127.0.0.1", port: 0, pacing: UNPACED });
    const arrivals = new Map<string, number>();
    const sub = spawn("mosquitto_sub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(broker.port),
      "-t",
      "accusolar/battery/current",
    ]);
    sub.stdout.on("data", (chunk: Buffer) => {
      const now = Date.now();
      for (const line of chunk.toString().split("\n").filter(Boolean))
        if (!arrivals.has(line)) arrivals.set(line, now);
    });
    const bridge = startBridge({
      batteries: [{ address: `tcp:127.0.0.1:${gateway.port}` }],
      mqtt: { broker: "127.0.0.1", port: broker.port, ha_discovery: false },
      bridge: { poll_interval: POLL_S, jitter: 0 },
      log: { level: "warn" },
    });
    const latencies: number[] = [];
    const problems: string[] = [];
    try {
      const ready = Date.now() + 30_000;
      while (!arrivals.has("1.00") && Date.now() < ready) await sleep(50);
      for (let i = 0; i < (quick ? 10 : 200); i++) {
        await sleep(Math.random() * POLL_S * 1000);
        // distinct values (2.01 A, 2.02 A, …) so each change is recognisable in mosquitto_sub's output
        const amps = 2 + (i + 1) / 100;
        const expected = amps.toFixed(2);
        const changedAt = Date.now();
        battery.model.setDemand(amps);
        const deadline = changedAt + 10_000;
        while (!arrivals.has(expected) && Date.now() < deadline) await sleep(5);
        const arrived = arrivals.get(expected);
        const request = battery.requests.find((r) => r.register === 0x03 && r.timeMs >= changedAt);
        if (arrived === undefined || request === undefined) {
          problems.push(`change ${i} (${expected} A) never arrived`);
          continue;
        }
        latencies.push(arrived - request.timeMs);
      }
    } finally {
      await bridge.stop();
      sub.kill();
      await gateway.close();
      battery.close();
      await broker.dispose();
    }
    log(`latency: ${latencies.length} changes (bridge from ${bridge.how})`);
    return {
      figures: [
        { key: "e2e_latency_ms_p50", value: round(percentile(latencies, 50), 1), unit: "ms" },
        { key: "e2e_latency_ms_p99", value: round(percentile(latencies, 99), 1), unit: "ms" },
      ],
      problems,
    };
  },
};

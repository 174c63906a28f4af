/**
 * scale: ONE bridge process polling N emulated batteries over TCP every 1 s, for N = 8, 64, 256. The
 * emulators (the emulator's real TCP server) and Mosquitto run outside the bridge's process, so its
 * figures are its own:
 * - `scale_<N>_cpu_pct`: CPU time (utime + stime, /proc/<pid>/stat) over wall time, in % of one core,
 *   over a steady window after a warm-up;
 * - `scale_<N>_rss_mb`: peak resident memory (VmHWM, /proc/<pid>/status) at the end;
 * - `scale_<N>_cycle_s`: time to read all N once: with jitter 0 every battery falls due together, so a
 *   round spans from the first 0x03 request any battery receives to the last 0x04 request (emulator
 *   request logs); median over the rounds since the start (the first included: all groups start at once).
 */
import { createEmulatedBattery, type EmulatedBattery } from "../src/emulator/battery.js";
import { type RunningTcpServer, serveTcp } from "../src/emulator/tcp-server.js";
import { findMosquitto, startMosquitto } from "../src/testing/mosquitto.js";
import { cpuSeconds, peakRssMb, percentile, round, sleep, startBridge } from "./bridge-process.js";
import type { BenchFigure, BenchSection } from "./types.js";
import { UNPACED } from "./unpaced.js";

const SIZES = [8, 64, 256];

/** Per battery, the times of its k-th 0x03 and 0x04 requests. */
function roundSpans(batteries: EmulatedBattery[], fromMs: number, toMs: number): number[] {
  const times = (battery: EmulatedBattery, register: number) =>
    battery.requests
      .filter((r) => r.register === register && r.timeMs >= fromMs && r.timeMs < toMs)
      .map((r) => r.timeMs);
  const starts = batteries.map((b) => times(b, 0x03));
  const ends = batteries.map((b) => times(b, 0x04));
  const rounds = Math.min(...starts.map((s) => s.length), ...ends.map((e) => e.length));
  return Array.from({ length: rounds }, (_, k) => {
    const first = Math.min(...starts.map((s) => s[k] as number));
    const last = Math.max(...ends.map((e) => e[k] as number));
    return last - first;
  });
}

async function measure(count: number, brokerPort: number, windowMs: number) {
  const batteries: EmulatedBattery[] = [];
  const servers: RunningTcpServer[] = [];
  for (let i = 0; i < count; i++) {
    const battery = createEmulatedBattery({
      address: `A5:C2:37:E2:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`,
    });
    batteries.push(battery);
    servers.push(await serveTcp(battery, { host: "127.0.0.1", port: 0, pacing: UNPACED }));
  }
  const bridge = startBridge({
    batteries: servers.map((s) => ({ address: `tcp:127.0.0.1:${s.port}` })),
    mqtt: { broker: "127.0.0.1", port: brokerPort, ha_discovery: false, topic_prefix: `bench${count}` },
    bridge: { poll_interval: 1, jitter: 0 },
    log: { level: "warn" },
  });
  try {
    // warm-up: every battery read at least twice (links open, JIT warm)
    const warmDeadline = Date.now() + 60_000;
    while (batteries.some((b) => b.requests.filter((r) => r.register === 0x04).length < 2)) {
      if (Date.now() > warmDeadline)
        throw new Error(`scale ${count}: not every battery was read within 60 s`);
      await sleep(100);
    }
    const cpuBefore = cpuSeconds(bridge.pid);
    const from = Date.now();
    await sleep(windowMs);
    const to = Date.now();
    const cpuPct = ((cpuSeconds(bridge.pid) - cpuBefore) / ((to - from) / 1000)) * 100;
    const rssMb = peakRssMb(bridge.pid);
    // rounds from the very first (all groups start together), so a window shorter than a round still has one
    const spans = roundSpans(batteries, 0, to);
    return { cpuPct, rssMb, cycleS: percentile(spans, 50) / 1000, how: bridge.how };
  } finally {
    await bridge.stop();
    for (const server of servers) await server.close();
    for (const battery of batteries) battery.close();
  }
}

export const scaleSection: BenchSection = {
  name: "scale",
  async run({ quick, log }) {
    if (!findMosquitto())
      return { figures: [], problems: process.env.CI === "true" ? ["mosquitto missing"] : [] };
    const broker = await startMosquitto();
    const figures: BenchFigure[] = [];
    try {
      for (const count of SIZES) {
        const result = await measure(count, broker.port, quick ? 2500 : 20_000);
        log(
          `scale: N=${count} (${result.how}) cpu ${result.cpuPct.toFixed(2)} % rss ${result.rssMb.toFixed(1)} MB cycle ${result.cycleS.toFixed(3)} s`,
        );
        figures.push(
          { key: `scale_${count}_cpu_pct`, value: round(result.cpuPct, 2), unit: "% of a core" },
          { key: `scale_${count}_rss_mb`, value: round(result.rssMb, 1), unit: "MB" },
          { key: `scale_${count}_cycle_s`, value: round(result.cycleS, 3), unit: "s" },
        );
      }
    } finally {
      await broker.dispose();
    }
    return { figures };
  },
};

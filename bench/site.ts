/**
 * site: one site of B bridges × N batteries at 1 Hz on one Mosquitto (20 × 50 = 1,000; --quick 3 × 4;
 * `BENCH_SITE=10x50` another size).
 * The bank publisher (`bank: always`) is its own `bms-bridge run` PROCESS reading N TCP-emulated
 * batteries, so its figures are its own; the other B − 1 bridges run IN THIS PROCESS (startBridge, N
 * in-process batteries each, `bank: off`): B processes would not fit the bench machine.
 * - `site_<B>x<N>_publisher_cpu_pct`: the publisher's CPU time over wall time (% of one core), steady window;
 * - `site_<B>x<N>_publisher_rss_mb`: its peak resident memory;
 * - `site_<B>x<N>_bank_latency_p50_ms` / `_p99_ms`: a battery of another bridge changes its current by
 *   200 A → the plain `<prefix>/battery/status` (what Accu-Solar reads) shows it, as a subscriber sees it;
 * - `site_<B>x<N>_broker_sent_per_s` and `_sent_per_bridge_per_s`: PUBLISH packets the broker sent a
 *   second (Mosquitto's `$SYS/broker/publish/messages/sent`, every second), in total and over B: what
 *   the bridges' subscriptions cost, steady window;
 * - `site_<B>x<N>_other_bridges_cpu_pct`: this process's CPU over wall time, steady window: the B − 1
 *   bridges that do not publish the bank, with their in-process batteries.
 * The steady-window figures are also logged as soon as they are measured (a run whose latency phase
 * cannot finish still says them).
 */
import mqtt from "mqtt";
import { startBridge as startInProcess } from "../src/bridge/bridge.js";
import { loadConfig } from "../src/config/load.js";
import { createEmulatedBattery, type EmulatedBattery } from "../src/emulator/battery.js";
import { linkToBattery } from "../src/emulator/memory-link.js";
import { type RunningTcpServer, serveTcp } from "../src/emulator/tcp-server.js";
import { createMemoryLogger } from "../src/log/logger.js";
import { findMosquitto, startMosquitto } from "../src/testing/mosquitto.js";
import { systemClock } from "../src/util/clock.js";
import { cpuSeconds, peakRssMb, percentile, round, sleep, startBridge } from "./bridge-process.js";
import type { BenchSection } from "./types.js";
import { UNPACED } from "./unpaced.js";

const PREFIX = "benchsite";
/**
 * The changed battery swings between −100 A and +100 A: a 200 A step that trips neither of the emulated
 * BMS's overcurrent protections (charge 150 A, discharge 200 A, after 2 s; src/emulator/profile.ts). A
 * step of +200 A from where it was could trip the charge one when a change took over 2 s to show, and
 * the battery then read 0 A for 32 s (a change "never seen").
 */
const LEVEL_A = 100;
/** PUBLISH packets the broker sent (`messages/sent` would count its PUBACKs of the bridges' QoS 1 too). */
const SENT_TOPIC = "$SYS/broker/publish/messages/sent";

export const siteSection: BenchSection = {
  name: "site",
  async run({ quick, log }) {
    if (!findMosquitto()) return { figures: [], problems: ["site: Mosquitto not installed"] };
    // BENCH_SITE=BxN picks another size (e.g. 10x50) for a machine where 20 × 50 does not fit
    const size = /^(\d+)x(\d+)$/.exec(process.env.BENCH_SITE ?? "");
    const bridges = size ? Number(size[1]) : quick ? 3 : 20;
    const per = size ? Number(size[2]) : quick ? 4 : 50;
    const windowMs = quick ? 3000 : 20_000;
    const flips = quick ? 3 : 20;
    const label = `site_${bridges}x${per}`;
    const broker = await startMosquitto({ extraConfig: ["sys_interval 1"] });
    const servers: RunningTcpServer[] = [];
    const batteries: EmulatedBattery[] = [];
    const others: Array<{ stop(): Promise<void> }> = [];
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const plain: Array<{ at: number; current: number; contributing: number }> = [];
    let sent: { at: number; count: number } | undefined;
    sub.on("message", (topic, payload) => {
      if (topic === SENT_TOPIC) {
        sent = { at: Date.now(), count: Number(payload.toString()) };
        return;
      }
      if (payload.length === 0) return;
      const status = JSON.parse(payload.toString()) as { current: number; batteries_contributing: number };
      plain.push({ at: Date.now(), current: status.current, contributing: status.batteries_contributing });
    });
    await sub.subscribeAsync([`${PREFIX}/battery/status`, SENT_TOPIC]);
    try {
      for (let i = 0; i < per; i++) {
        const battery = createEmulatedBattery({
          address: `A5:C2:37:E4:00:${i.toString(16).padStart(2, "0")}`,
        });
        servers.push(await serveTcp(battery, { host: "127.0.0.1", port: 0, pacing: UNPACED }));
      }
      const publisher = startBridge({
        batteries: servers.map((s, i) => ({ id: `p-${i}`, address: `tcp:127.0.0.1:${s.port}` })),
        mqtt: { broker: "127.0.0.1", port: broker.port, ha_discovery: false, topic_prefix: PREFIX },
        bridge: { id: "a-publisher", bank: "always", poll_interval: 1 },
        log: { level: "warn" },
      });
      for (let k = 1; k < bridges; k++) {
        const names = Array.from({ length: per }, (_, i) => `s${k}b${i}`);
        const own = names.map(() => createEmulatedBattery());
        batteries.push(...own);
        const yaml = [
          "batteries:",
          ...names.map((name) => `  - { id: ${name}, address: "memory:${name}" }`),
          `mqtt: { broker: 127.0.0.1, port: ${broker.port}, ha_discovery: false, topic_prefix: ${PREFIX} }`,
          `bridge: { id: site-${k}, bank: "off", poll_interval: 1 }`,
        ].join("\n");
        const config = loadConfig({ file: { path: `site-${k}.yaml`, text: yaml } });
        const memory = new Map(
          names.map((name, i) => [name, () => linkToBattery(own[i] as EmulatedBattery)]),
        );
        others.push(
          await startInProcess({ config, logger: createMemoryLogger("warn"), clock: systemClock, memory }),
        );
      }
      const total = bridges * per;
      const deadline = Date.now() + 120_000;
      while ((plain.at(-1)?.contributing ?? 0) < total) {
        if (Date.now() > deadline) throw new Error(`site: no bank of ${total} within 120 s`);
        await sleep(200);
      }
      log(`site: bank of ${total} from ${bridges} bridges`);
      (batteries[0] as EmulatedBattery).model.setDemand(-LEVEL_A); // settles during the steady window
      const cpuBefore = cpuSeconds(publisher.pid);
      const ownBefore = process.cpuUsage();
      const sentBefore = sent;
      const from = Date.now();
      await sleep(windowMs);
      const seconds = (Date.now() - from) / 1000;
      const cpuPct = ((cpuSeconds(publisher.pid) - cpuBefore) / seconds) * 100;
      const own = process.cpuUsage(ownBefore);
      const othersCpuPct = ((own.user + own.system) / 1e6 / seconds) * 100;
      const sentPerS =
        sentBefore && sent && sent.at > sentBefore.at
          ? (sent.count - sentBefore.count) / ((sent.at - sentBefore.at) / 1000)
          : Number.NaN;
      const steady = [
        { key: `${label}_publisher_cpu_pct`, value: round(cpuPct, 1), unit: "% of one core" },
        { key: `${label}_other_bridges_cpu_pct`, value: round(othersCpuPct, 1), unit: "% of one core" },
        { key: `${label}_broker_sent_per_s`, value: round(sentPerS, 0), unit: "messages/s" },
        { key: `${label}_sent_per_bridge_per_s`, value: round(sentPerS / bridges, 0), unit: "messages/s" },
      ];
      log(`site: steady ${steady.map((f) => `${f.key}=${f.value}`).join(" ")}`);
      const latencies: number[] = [];
      const target = batteries[0] as EmulatedBattery;
      for (let f = 0; f < flips; f++) {
        const before = plain.at(-1)?.current ?? 0;
        const step = f % 2 === 0 ? 2 * LEVEL_A : -2 * LEVEL_A;
        target.model.setDemand(f % 2 === 0 ? LEVEL_A : -LEVEL_A);
        const changedAt = Date.now();
        const seen = () => plain.find((p) => p.at >= changedAt && Math.abs(p.current - before - step) < 50);
        while (!seen() && Date.now() - changedAt < 20_000) await sleep(10);
        const hit = seen();
        if (hit) latencies.push(hit.at - changedAt);
        await sleep(500);
      }
      const rssMb = peakRssMb(publisher.pid);
      await publisher.stop();
      return {
        figures: [
          ...steady,
          { key: `${label}_publisher_rss_mb`, value: round(rssMb, 1), unit: "MB" },
          { key: `${label}_bank_latency_p50_ms`, value: round(percentile(latencies, 50), 0), unit: "ms" },
          { key: `${label}_bank_latency_p99_ms`, value: round(percentile(latencies, 99), 0), unit: "ms" },
          { key: `${label}_bank_changes_seen`, value: latencies.length, unit: `of ${flips}` },
        ],
        problems: latencies.length < flips ? [`site: ${flips - latencies.length} changes never seen`] : [],
      };
    } finally {
      for (const bridge of others) await bridge.stop().catch(() => undefined);
      await sub.endAsync();
      for (const server of servers) await server.close();
      for (const battery of batteries) battery.close();
      await broker.dispose();
    }
  },
};

/**
 * `npm run bench -- --soak MINUTES` (never part of `--quick` or a plain run): the bridge as its own process
 * for a long run, the way it lives in a shed:
 * - 8 BLE batteries in the virtual lab, read in rotation over one adapter with the radio model on (30 ms
 *   connection interval, 100 ms advertising, 2 % loss), each battery with random faults of its own
 *   (dropped replies, links dropped mid-frame, 1-byte notifications);
 * - 64 TCP batteries (the emulator's TCP server), 8 of them with dropped replies;
 * - 1 s polls, Mosquitto as the broker;
 * - the bridge's adapter unplugged (replugged 20 s later) or frozen until it resets it, every few minutes.
 * Figures: RSS slope after warm-up (linear fit, MB/h; goal < 1), reads ok % (BLE, TCP, from the bridge's
 * own link reports), longest gap between two readings of any battery, adapter faults injected and
 * recoveries. The bridge's peak RSS and CPU too.
 */
import { readFileSync } from "node:fs";
import mqtt from "mqtt";
import { type Lab, labUnavailableReason, startLab } from "../scripts/vble/lab.js";
import { DEFAULT_RADIO } from "../scripts/vble/radio.js";
import { bridgeHealthTopic } from "../src/bridge/mqtt/topics.js";
import { createEmulatedBattery, type EmulatedBattery } from "../src/emulator/battery.js";
import { parseFaultSpec } from "../src/emulator/behaviors/parse-fault.js";
import { type BlenoPeripheral, gattBatteryOf, startBlenoPeripheral } from "../src/emulator/gatt/bleno.js";
import { type RunningTcpServer, serveTcp } from "../src/emulator/tcp-server.js";
import { findMosquitto, type RunningMosquitto, startMosquitto } from "../src/testing/mosquitto.js";
import { HCI_UART_BAUD } from "../src/transport/hci.js";
import { cpuSeconds, peakRssMb, round, sleep, startBridge } from "./bridge-process.js";
import type { BenchContext, BenchFigure, BenchOutcome, BenchSection } from "./types.js";
import { UNPACED } from "./unpaced.js";

const BLE_BATTERIES = 8;
const TCP_BATTERIES = 64;
const PREFIX = "soak";
const BRIDGE_ID = "soak";
/** The bridge's own health report (docs/mqtt.md "Link health"). */
const HEALTH = bridgeHealthTopic(PREFIX, BRIDGE_ID);
const BLE_FAULTS = ["drop:0.03", "disconnect:0.02", "split:1,from=0,to=0"];
const TCP_FAULTS = ["drop:0.05"];
const SAMPLE_MS = 10_000;

const uart = (port: string) => ({ driver: "uart" as const, port, baudRate: HCI_UART_BAUD });

function fault(text: string) {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.spec;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/** What the soak watches on the broker: each battery's status arrival times and the latest reports. */
async function watch(url: string) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4 });
  const arrivals = new Map<string, number[]>();
  const lastGap = new Map<string, number>();
  const latest = new Map<string, Record<string, unknown>>();
  client.on("message", (topic, payload) => {
    const parts = topic.split("/");
    if (payload.length === 0) return;
    if (parts[3] === "link" || topic === HEALTH) {
      latest.set(topic, JSON.parse(payload.toString()));
      return;
    }
    const id = parts[2] as string;
    const now = Date.now();
    const times = arrivals.get(id);
    if (times && times.length > 0) {
      const gap = now - (times.at(-1) as number);
      lastGap.set(id, Math.max(lastGap.get(id) ?? 0, gap));
    }
    arrivals.set(id, [...(times ?? []).slice(-1), now]);
  });
  await client.subscribeAsync([`${PREFIX}/battery/+/status`, `${PREFIX}/battery/+/link`, HEALTH]);
  return { client, longestGapMs: lastGap, latest };
}

interface Rig {
  lab: Lab;
  broker: RunningMosquitto;
  peripherals: BlenoPeripheral[];
  servers: RunningTcpServer[];
  batteries: EmulatedBattery[];
}

async function startBatteries(lab: Lab, rig: Omit<Rig, "lab" | "broker">): Promise<string[]> {
  const [, ...blePtys] = lab.ptys;
  const addresses: string[] = [];
  for (let i = 0; i < BLE_BATTERIES; i++) {
    const battery = createEmulatedBattery({
      address: `A5:C2:37:E5:00:${String(i + 1).padStart(2, "0")}`,
      faults: BLE_FAULTS.map(fault),
    });
    rig.batteries.push(battery);
    const peripheral = await startBlenoPeripheral({
      hci: uart(blePtys[i] as string),
      battery: gattBatteryOf(battery),
    });
    rig.peripherals.push(peripheral);
    addresses.push(peripheral.controllerAddress);
  }
  for (let i = 0; i < TCP_BATTERIES; i++) {
    const battery = createEmulatedBattery({
      address: `A5:C2:37:E6:00:${i.toString(16).padStart(2, "0")}`,
      ...(i % 8 === 0 && { faults: TCP_FAULTS.map(fault) }),
    });
    rig.batteries.push(battery);
    const server = await serveTcp(battery, { host: "127.0.0.1", port: 0, pacing: UNPACED });
    rig.servers.push(server);
    addresses.push(`tcp:127.0.0.1:${server.port}`);
  }
  return addresses;
}

/** Every `everyMs`: the adapter unplugged for 20 s, or frozen until the bridge resets it, in turn. */
async function injectAdapterFaults(lab: Lab, untilMs: number, everyMs: number, log: BenchContext["log"]) {
  let injected = 0;
  while (Date.now() + everyMs < untilMs) {
    await sleep(everyMs);
    injected++;
    if (injected % 2 === 1) {
      log(`soak: fault ${injected}: unplugging the bridge's adapter for 20 s`);
      await lab.unplug(0);
      await sleep(20_000);
      await lab.replug(0);
    } else {
      log(`soak: fault ${injected}: freezing the bridge's adapter until it resets it`);
      lab.freeze(0, { untilReset: true });
    }
  }
  return injected;
}

async function soak(lab: Lab, broker: RunningMosquitto, minutes: number, log: BenchContext["log"]) {
  const rig = { peripherals: [], servers: [], batteries: [] } as Omit<Rig, "lab" | "broker">;
  const watcher = await watch(broker.url);
  try {
    lab.setRadio(0, { ...DEFAULT_RADIO, loss: 0.02 });
    const addresses = await startBatteries(lab, rig);
    const bridge = startBridge({
      batteries: addresses.map((address) =>
        address.startsWith("tcp:") ? { address } : { address, disconnect_between_polls: true },
      ),
      mqtt: { broker: "127.0.0.1", port: broker.port, ha_discovery: false, topic_prefix: PREFIX },
      bridge: {
        id: BRIDGE_ID,
        hci: `uart:${lab.ptys[0]}`,
        poll_interval: 1,
        connect_timeout: 10,
        request_timeout: 2,
      },
      log: { level: "warn" },
    });
    const started = Date.now();
    const end = started + minutes * 60_000;
    const warmUpMs = Math.min(10 * 60_000, (minutes * 60_000) / 3);
    const everyMs = Math.max(60_000, Math.min(4 * 60_000, (minutes * 60_000) / 6));
    const faults = injectAdapterFaults(lab, end, everyMs, log);
    const samples: Array<{ x: number; y: number }> = [];
    let cpuAtWarm = 0;
    try {
      while (Date.now() < end) {
        await sleep(SAMPLE_MS);
        if (bridge.child.exitCode !== null)
          throw new Error(`the bridge exited: ${bridge.lines.slice(-5).join(" | ")}`);
        const elapsed = Date.now() - started;
        if (elapsed >= warmUpMs) {
          if (samples.length === 0) cpuAtWarm = cpuSeconds(bridge.pid);
          samples.push({ x: elapsed / 3_600_000, y: rssMb(bridge.pid) });
        }
        if (samples.length % 30 === 1)
          log(`soak: ${Math.round(elapsed / 60_000)} min, RSS ${rssMb(bridge.pid).toFixed(1)} MB`);
      }
      const injected = await faults;
      await sleep(15_000); // the last reports of the run (every 30 s, and on every change)
      const steadyS = (Date.now() - started - warmUpMs) / 1000;
      return {
        injected,
        samples,
        peakMb: peakRssMb(bridge.pid),
        cpuPct: ((cpuSeconds(bridge.pid) - cpuAtWarm) / steadyS) * 100,
        // Node's own warnings (a listener leak across adapter reopens would show here) and our errors
        processWarnings: bridge.lines.filter((l) => /MaxListenersExceededWarning|Warning:|ERROR/.test(l)),
        watcher,
        bleIds: addresses.slice(0, BLE_BATTERIES).map((_, i) => String(i + 1)),
      };
    } finally {
      await bridge.stop();
    }
  } finally {
    await watcher.client.endAsync(true);
    for (const peripheral of rig.peripherals) await peripheral.stop();
    for (const server of rig.servers) await server.close();
    for (const battery of rig.batteries) battery.close();
  }
}

function figuresOf(
  result: Awaited<ReturnType<typeof soak>>,
  minutes: number,
  log: BenchContext["log"],
): BenchFigure[] {
  const { latest, longestGapMs } = result.watcher;
  const link = (id: string) => latest.get(`${PREFIX}/battery/${id}/link`) ?? {};
  const okPct = (ids: string[]) => {
    const ok = ids.reduce((s, id) => s + Number(link(id).reads_ok ?? 0), 0);
    const failed = ids.reduce((s, id) => s + Number(link(id).reads_failed ?? 0), 0);
    return (100 * ok) / Math.max(1, ok + failed);
  };
  const ids = Array.from({ length: BLE_BATTERIES + TCP_BATTERIES }, (_, i) => String(i + 1));
  const ble = ids.slice(0, BLE_BATTERIES);
  const tcp = ids.slice(BLE_BATTERIES);
  const gap = (of: string[]) =>
    Math.max(...of.map((id) => longestGapMs.get(id) ?? Number.POSITIVE_INFINITY)) / 1000;
  const health = latest.get(HEALTH) ?? {};
  const adapter = (health.adapters as Array<Record<string, number>> | undefined)?.[0] ?? {};
  for (const line of result.processWarnings.slice(0, 5)) log(`soak: bridge said: ${line}`);
  for (const id of ble)
    log(
      `soak: BLE battery ${id}: longest gap ${((longestGapMs.get(id) ?? 0) / 1000).toFixed(1)} s, ${JSON.stringify(link(id))}`,
    );
  return [
    { key: "soak_minutes", value: minutes, unit: "min" },
    { key: "soak_rss_slope_mb_per_h", value: round(slope(result.samples), 2), unit: "MB/h after warm-up" },
    { key: "soak_rss_end_mb", value: round(result.samples.at(-1)?.y ?? Number.NaN, 1), unit: "MB" },
    { key: "soak_rss_peak_mb", value: round(result.peakMb, 1), unit: "MB" },
    { key: "soak_cpu_pct", value: round(result.cpuPct, 1), unit: "% of a core after warm-up" },
    { key: "soak_ble_reads_ok_pct", value: round(okPct(ble), 2), unit: "%" },
    { key: "soak_tcp_reads_ok_pct", value: round(okPct(tcp), 2), unit: "%" },
    { key: "soak_ble_longest_gap_s", value: round(gap(ble), 1), unit: "s (worst BLE battery)" },
    { key: "soak_tcp_longest_gap_s", value: round(gap(tcp), 1), unit: "s (worst TCP battery)" },
    { key: "soak_adapter_faults", value: result.injected, unit: "unplugs + freezes" },
    { key: "soak_adapter_losses", value: Number(adapter.losses ?? Number.NaN), unit: "" },
    { key: "soak_adapter_resets", value: Number(adapter.resets ?? Number.NaN), unit: "" },
    { key: "soak_adapter_recoveries", value: Number(adapter.recoveries ?? Number.NaN), unit: "" },
    { key: "soak_bridge_process_warnings", value: result.processWarnings.length, unit: "lines" },
  ];
}

export function soakSection(minutes: number): BenchSection {
  return {
    name: "soak",
    async run({ log }): Promise<BenchOutcome> {
      const missing = await labUnavailableReason();
      if (missing !== undefined || !findMosquitto()) {
        return {
          figures: [],
          problems: [`soak needs the virtual BLE lab and Mosquitto (${missing ?? "no mosquitto"})`],
        };
      }
      const broker = await startMosquitto();
      const lab = await startLab({
        endpoints: BLE_BATTERIES + 1,
        purpose: "npm run bench --soak",
        lockWaitMs: 300_000,
      });
      try {
        const result = await soak(lab, broker, minutes, log);
        const figures = figuresOf(result, minutes, log);
        const problems: string[] = [];
        // the last fault may still be healing when the run ends
        const recoveries = Number(figures.find((f) => f.key === "soak_adapter_recoveries")?.value);
        if (!(recoveries >= result.injected - 1))
          problems.push(`${recoveries} adapter recoveries for ${result.injected} faults`);
        return { figures, problems };
      } finally {
        await lab.stop();
        await broker.dispose();
      }
    },
  };
}

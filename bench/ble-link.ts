/**
 * BLE figures through the virtual BLE lab (scripts/vble: btvirt controllers, real noble and bleno):
 *
 * - `ble_read_ms`: one poll's reads (0x03 then 0x04) by the bridge's BmsClient over a BLE link, median;
 * - `ble_link_rtt_ms`: the same two requests over the same link with no bridge code at all: write the
 *   request bytes, count reply bytes until the frame's own length (docs/protocol.md §2: 4 + len + 3) is in;
 * - `ble_overhead_ratio` = read / rtt (both measured alternately in this run, so the ratio is fair);
 * - `ble_cycle_8_radio_s`, `ble_read_radio_ms`: the same with the lab's radio model on the central's
 *   endpoint (30 ms connection interval, 100 ms advertising: scripts/vble/radio.ts), nearer a real link;
 * - `ble_cycle_8_s`: the real poller reading 8 emulated batteries on one central adapter in rotation
 *   (connect, read, disconnect: btvirt cannot carry two links at once, docs/cli-ble.md, "The virtual BLE lab"): from the
 *   round's first link request to its 8th reading, median of the warm rounds; `ble_first_cycle_8_s` is
 *   the first round (first connections; the adapter's power-on happens before it).
 */

import { type Lab, labUnavailableReason, startLab } from "../scripts/vble/lab.js";
import { DEFAULT_RADIO } from "../scripts/vble/radio.js";
import { startBridge } from "../src/bridge/bridge.js";
import { BmsClient } from "../src/bridge/device/client.js";
import { loadConfig } from "../src/config/load.js";
import { createEmulatedBattery, type EmulatedBattery } from "../src/emulator/battery.js";
import { type BlenoPeripheral, gattBatteryOf, startBlenoPeripheral } from "../src/emulator/gatt/bleno.js";
import { createMemoryLogger } from "../src/log/logger.js";
import { encodeReadRequest } from "../src/protocol/frame.js";
import { FakeMqtt } from "../src/testing/fake-mqtt.js";
import { type BleAdapter, openBleAdapter, openBleLink } from "../src/transport/ble/index.js";
import { createBleOpener } from "../src/transport/ble/opener.js";
import { HCI_UART_BAUD } from "../src/transport/hci.js";
import type { Link } from "../src/transport/types.js";
import { systemClock } from "../src/util/clock.js";
import type { BenchContext, BenchFigure, BenchOutcome, BenchSection } from "./types.js";

const BATTERIES = 8;
const BASIC_INFO = 0x03;
const CELL_VOLTAGES = 0x04;

const uart = (port: string) => ({ driver: "uart" as const, port, baudRate: HCI_UART_BAUD });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Writes one read request and resolves when the whole reply (by its length byte) has arrived. */
function bareRoundTrip(link: Link, register: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let expected = Number.POSITIVE_INFINITY;
    const off = link.onData((chunk) => {
      // the first notification holds DD reg status len: the frame is 4 + len + 3 bytes (docs/protocol.md §2)
      if (received === 0 && chunk.length >= 4) expected = 7 + (chunk[3] as number);
      received += chunk.length;
      if (received >= expected) {
        off();
        resolve();
      }
    });
    link.write(encodeReadRequest(register)).catch((error: unknown) => {
      off();
      reject(error);
    });
  });
}

async function timeIt(step: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await step();
  return performance.now() - started;
}

/** Alternates bridge reads and bare round trips on one link so both see the same conditions. */
async function measureLink(central: BleAdapter, address: string, samples: number) {
  const link = await openBleLink(central, address, { timeoutMs: 10_000 });
  const logger = createMemoryLogger("warn");
  const reads: number[] = [];
  const rtts: number[] = [];
  try {
    for (let i = 0; i < samples + 2; i++) {
      const client = new BmsClient(link, { clock: systemClock, logger }, { timeoutMs: 3000, attempts: 1 });
      const read = await timeIt(async () => {
        await client.readBasicInfo();
        await client.readCellVoltages();
      });
      client.dispose();
      const rtt = await timeIt(async () => {
        await bareRoundTrip(link, BASIC_INFO);
        await bareRoundTrip(link, CELL_VOLTAGES);
      });
      if (i >= 2) {
        // the first two rounds warm up the link and the JIT
        reads.push(read);
        rtts.push(rtt);
      }
    }
  } finally {
    await link.close();
  }
  return { readMs: median(reads), rttMs: median(rtts) };
}

/**
 * Runs the real bridge (poller + BLE opener) over 8 peripherals. A round starts when the poller asks for
 * its first link and ends with its 8th reading; the opener is wrapped only to note when links are asked for.
 */
async function measureCycle(centralPty: string, addresses: string[], rounds: number) {
  const config = loadConfig({
    flags: { address: addresses, broker: "127.0.0.1" },
    file: {
      path: "bench.yaml",
      text: [
        "bridge:",
        `  hci: "uart:${centralPty}"`,
        "  poll_interval: 0.5",
        "  disconnect_between_polls: true",
        "  max_connections: 1",
        "  connect_timeout: 10",
        "  request_timeout: 2",
        "  jitter: 0",
      ].join("\n"),
    },
  });
  const opens = new Map<string, number[]>();
  const readings = new Map<string, number[]>();
  const note = (map: Map<string, number[]>, key: string) => {
    const times = map.get(key) ?? [];
    times.push(performance.now());
    map.set(key, times);
  };
  const roundsDone = () =>
    readings.size === addresses.length && [...readings.values()].every((t) => t.length >= rounds);
  const bridge = await startBridge({
    config,
    logger: createMemoryLogger("warn"),
    clock: systemClock,
    mqtt: new FakeMqtt(),
    features: [],
    createBleOpener: async (hci, ctx) => {
      const inner = await createBleOpener({ hci, ...ctx });
      return {
        open: (address, options) => {
          note(opens, address);
          return inner.open(address, options);
        },
        close: () => inner.close(),
      };
    },
  });
  const done = new Promise<void>((resolve) => {
    bridge.bus.on("reading", (reading) => {
      note(readings, reading.address);
      if (roundsDone()) resolve();
    });
  });
  const limit = new Promise<void>((_, reject) =>
    setTimeout(() => reject(new Error(`no ${rounds} rounds within 180 s`)), 180_000).unref(),
  );
  try {
    await Promise.race([done, limit]);
  } finally {
    await bridge.stop();
  }
  const cycles = Array.from({ length: rounds }, (_, k) => {
    const start = Math.min(...[...opens.values()].map((t) => t[k] ?? Number.POSITIVE_INFINITY));
    const end = Math.max(...[...readings.values()].map((t) => t[k] ?? Number.NaN));
    return end - start;
  });
  return { cycleMs: median(cycles.slice(1)), firstRoundMs: cycles[0] ?? Number.NaN };
}

async function runWithLab(lab: Lab, { quick, log }: BenchContext): Promise<BenchFigure[]> {
  const [centralPty, ...batteryPtys] = lab.ptys;
  const batteries: EmulatedBattery[] = [];
  const peripherals: BlenoPeripheral[] = [];
  try {
    for (let i = 0; i < BATTERIES; i++) {
      const battery = createEmulatedBattery({
        address: `A5:C2:37:E1:00:${String(i + 1).padStart(2, "0")}`,
        speed: 0,
      });
      batteries.push(battery);
      const hci = uart(batteryPtys[i] as string);
      peripherals.push(await startBlenoPeripheral({ hci, battery: gattBatteryOf(battery) }));
    }
    const addresses = peripherals.map((p) => p.controllerAddress);
    const central = await openBleAdapter({ hci: uart(centralPty as string) });
    let link: { readMs: number; rttMs: number };
    try {
      log("ble-link: single link, bridge read vs bare round trip");
      link = await measureLink(central, addresses[0] as string, quick ? 8 : 40);
    } finally {
      await central.close();
    }
    log(`ble-link: ${BATTERIES} batteries on one adapter, in rotation`);
    const cycle = await measureCycle(centralPty as string, addresses, quick ? 3 : 6);
    log("ble-link: the same with the radio model on the central's endpoint");
    lab.setRadio(0, DEFAULT_RADIO);
    const radioCentral = await openBleAdapter({ hci: uart(centralPty as string) });
    let radioLink: { readMs: number; rttMs: number };
    try {
      radioLink = await measureLink(radioCentral, addresses[0] as string, quick ? 4 : 20);
    } finally {
      await radioCentral.close();
    }
    const radioCycle = await measureCycle(centralPty as string, addresses, quick ? 3 : 6);
    lab.setRadio(0, undefined);
    return [
      { key: "ble_read_radio_ms", value: round(radioLink.readMs, 1), unit: "ms (radio model)" },
      { key: "ble_cycle_8_radio_s", value: round(radioCycle.cycleMs / 1000, 2), unit: "s (radio model)" },
      { key: "ble_read_ms", value: round(link.readMs, 1), unit: "ms" },
      { key: "ble_link_rtt_ms", value: round(link.rttMs, 1), unit: "ms" },
      { key: "ble_overhead_ratio", value: round(link.readMs / link.rttMs, 3), unit: "x" },
      { key: "ble_cycle_8_s", value: round(cycle.cycleMs / 1000, 2), unit: "s" },
      { key: "ble_first_cycle_8_s", value: round(cycle.firstRoundMs / 1000, 2), unit: "s" },
    ];
  } finally {
    for (const peripheral of peripherals) await peripheral.stop();
    for (const battery of batteries) battery.close();
  }
}

export const bleLinkSection: BenchSection = {
  name: "ble-link",
  async run(context): Promise<BenchOutcome> {
    const missing = await labUnavailableReason();
    if (missing !== undefined) {
      const why = `virtual BLE lab unavailable (${missing})`;
      context.log(`ble-link: skipped: ${why}`);
      return { figures: [], problems: process.env.CI === "true" ? [why] : [] };
    }
    const lab = await startLab({
      endpoints: BATTERIES + 1,
      purpose: "npm run bench (ble-link)",
      lockWaitMs: 120_000,
      onWait: (holder) => context.log(`ble-link: waiting for the virtual BLE lab held by ${holder}`),
    });
    try {
      return { figures: await runWithLab(lab, context) };
    } finally {
      await lab.stop();
    }
  },
};

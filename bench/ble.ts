/**
 * BLE figures through the virtual BLE lab (scripts/vble): real noble central, real bleno peripherals
 * serving EmulatedBatteries. Skipped (with a log line) where the lab cannot run. The lab has no radio,
 * so these measure our stack plus btvirt, not air time: real dongles add connection intervals.
 */
import { labUnavailableReason, startLab } from "../scripts/vble/lab.js";
import { createEmulatedBattery } from "../src/emulator/battery.js";
import { type BlenoPeripheral, gattBatteryOf, startBlenoPeripheral } from "../src/emulator/gatt/bleno.js";
import { encodeReadRequest, FrameAssembler } from "../src/protocol/index.js";
import { openBleAdapter, openBleLink } from "../src/transport/ble/index.js";
import { HCI_UART_BAUD } from "../src/transport/hci.js";
import type { Link } from "../src/transport/types.js";
import type { BenchSection } from "./types.js";

const BATTERIES = 8;
const uart = (port: string) => ({ driver: "uart" as const, port, baudRate: HCI_UART_BAUD });

function read03(link: Link): Promise<void> {
  const assembler = new FrameAssembler();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no 0x03 reply within 5 s")), 5000);
    const off = link.onData((chunk) => {
      if (assembler.push(chunk).some((item) => item.kind === "response")) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
    link.write(encodeReadRequest(0x03)).catch(reject);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export const bleSection: BenchSection = {
  name: "ble",
  async run(context) {
    const missing = await labUnavailableReason();
    if (missing) {
      context.log(`ble: skipped, virtual BLE lab unavailable: ${missing}`);
      return { figures: [] };
    }
    const started = performance.now();
    const lab = await startLab({ endpoints: BATTERIES + 1, purpose: "npm run bench", lockWaitMs: 60_000 });
    const labStartMs = performance.now() - started;
    const peripherals: BlenoPeripheral[] = [];
    const [centralPty, ...batteryPtys] = lab.ptys;
    const central = await openBleAdapter({ hci: uart(centralPty as string) });
    try {
      for (const [i, pty] of batteryPtys.entries()) {
        const battery = createEmulatedBattery({
          address: `A5:C2:37:00:00:${String(i + 1).padStart(2, "0")}`,
        });
        peripherals.push(await startBlenoPeripheral({ hci: uart(pty), battery: gattBatteryOf(battery) }));
      }
      const readOnce = async (address: string) => {
        const link = await openBleLink(central, address, { timeoutMs: 8000 });
        try {
          await read03(link);
        } finally {
          await link.close();
        }
      };
      const first = peripherals[0]?.controllerAddress as string;
      const singles: number[] = [];
      for (let i = 0; i < (context.quick ? 2 : 7); i++) {
        const t0 = performance.now();
        await readOnce(first);
        singles.push(performance.now() - t0);
      }
      const rounds = context.quick ? 1 : 3;
      const t0 = performance.now();
      for (let round = 0; round < rounds; round++) {
        for (const peripheral of peripherals) await readOnce(peripheral.controllerAddress);
      }
      const perBattery = (performance.now() - t0) / (rounds * peripherals.length);
      return {
        figures: [
          {
            key: "ble_lab_start_ms",
            value: Math.round(labStartMs),
            unit: `ms (${BATTERIES + 1} controllers)`,
          },
          { key: "ble_scan_connect_read03_ms", value: Math.round(median(singles)), unit: "ms (median)" },
          {
            key: "ble_rotation_per_battery_ms",
            value: Math.round(perBattery),
            unit: `ms (${BATTERIES} batteries)`,
          },
        ],
      };
    } finally {
      await central.close();
      for (const peripheral of peripherals) await peripheral.stop();
      await lab.stop();
    }
  },
};

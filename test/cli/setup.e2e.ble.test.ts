/**
 * `bms-bridge setup` in a real terminal (tmux) against an emulated battery served over bleno in the
 * virtual BLE lab (endpoint 0: the wizard's controller, endpoint 1: the battery): scan with progress,
 * the numbered list, Enter for the strongest, the broker test, one reading over BLE, the config file.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker } from "../../src/broker/broker.js";
import { loadConfig } from "../../src/config/load.js";
import { createEmulatedBattery, type EmulatedBattery } from "../../src/emulator/battery.js";
import { type BlenoPeripheral, gattBatteryOf, startBlenoPeripheral } from "../../src/emulator/gatt/bleno.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { uart } from "../support/ble-helpers.js";
import { startTmux, tmuxSkipReason } from "../support/tmux.js";
import { labMissing, useLab } from "../support/vble.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/bms-bridge.ts");

describe.skipIf(labMissing() || tmuxSkipReason() !== undefined)(
  "bms-bridge setup in a terminal over the virtual BLE lab",
  () => {
    const labPtys = useLab(2, "setup wizard e2e");
    const cleanups: Array<() => Promise<unknown> | unknown> = [];
    let battery: EmulatedBattery;
    let peripheral: BlenoPeripheral;
    let hci: string;
    let dir: string;
    let brokerPort: number;

    beforeAll(async () => {
      const [centralPty, batteryPty] = labPtys() as [string, string];
      hci = `uart:${centralPty}`;
      battery = createEmulatedBattery({ address: "A5:C2:37:3C:76:D2", speed: 0 });
      peripheral = await startBlenoPeripheral({ hci: uart(batteryPty), battery: gattBatteryOf(battery) });
      cleanups.push(
        () => peripheral.stop(),
        () => battery.close(),
      );
      const broker = await startBroker({
        hosts: ["127.0.0.1"],
        port: 0,
        wsPort: null,
        logger: createMemoryLogger(),
      });
      cleanups.push(() => broker.close());
      brokerPort = broker.ports.mqtt;
      dir = await mkdtemp(join(tmpdir(), "bms-setup-ble-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
    });

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("scans, lists the battery, reads it over BLE and writes its MAC into the config", async () => {
      const output = join(dir, "bms-bridge.yaml");
      const term = startTmux(`${TSX} ${CLI} setup --hci ${hci} --scan-timeout 2 --output ${output}`, ROOT);
      cleanups.push(() => term.kill());
      await term.waitFor("Which batteries?", 45_000);
      const list = term.screen();
      expect(list).toContain("Scanning for JBD batteries over Bluetooth");
      expect(list).toContain(` 1) ${peripheral.controllerAddress}  RSSI  n/a  DP04S007L4S200A`);
      term.type("");
      await term.waitFor("MQTT broker");
      term.type(`127.0.0.1:${brokerPort}`);
      await term.waitFor("Install it as a service", 60_000);
      const screen = term.screen();
      expect(screen).toContain(`Testing the MQTT broker at mqtt://127.0.0.1:${brokerPort}… OK`);
      expect(screen).toMatch(/\d+\.\d{2}V \| -?\d+\.\d{2}A \| SoC \d+% /);
      expect(screen).toMatch(/cells( \d\.\d{3}){4} V/);
      term.type("n");
      await term.waitFor("[exit 0]");
      const config = loadConfig({
        file: { path: output, text: await readFile(output, "utf8") },
        randomHex: () => "00",
      });
      expect(config.batteries.map((b) => b.address)).toEqual([peripheral.controllerAddress]);
      expect(config.batteries[0]?.hci).toBe(hci);
      // the battery saw the wizard's reads and nothing else
      expect(battery.requests.filter((r) => r.op === "write")).toEqual([]);
      expect(battery.requests.map((r) => r.register)).toEqual(expect.arrayContaining([0x03, 0x04]));
    }, 150_000);
  },
);

/**
 * `bms-bridge scan` and `bms-bridge discover`, spawned as real processes against an emulated battery
 * served over bleno in the virtual BLE lab (endpoint 0: the CLI's controller, endpoint 1: the battery).
 */
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulatedBattery, type EmulatedBattery } from "../../src/emulator/battery.js";
import { type BlenoPeripheral, gattBatteryOf, startBlenoPeripheral } from "../../src/emulator/gatt/bleno.js";
import { uart } from "../support/ble-helpers.js";
import { labMissing, useLab } from "../support/vble.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/bms-bridge.ts");

function bridge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(labMissing())("bms-bridge scan and discover (spawned) over the virtual BLE lab", () => {
  const labPtys = useLab(2);
  let battery: EmulatedBattery;
  let peripheral: BlenoPeripheral;
  let hci: string;

  beforeAll(async () => {
    const [centralPty, batteryPty] = labPtys() as [string, string];
    hci = `uart:${centralPty}`;
    battery = createEmulatedBattery({ address: "A5:C2:37:3C:76:D2", speed: 0 });
    peripheral = await startBlenoPeripheral({ hci: uart(batteryPty), battery: gattBatteryOf(battery) });
  });

  afterAll(async () => {
    await peripheral?.stop();
    battery?.close();
  });

  it("scan lists the emulated battery by its controller address and name", async () => {
    const run = await bridge(["scan", "--hci", hci, "--timeout", "1.5"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${peripheral.controllerAddress}  RSSI  n/a  DP04S007L4S200A`);
    expect(run.stderr).toMatch(/1 JBD-looking device\(s\) found in 1\.5 s/);
  });

  it("scan --json carries the advertised service and the battery's MAC fingerprint", async () => {
    const run = await bridge(["scan", "--hci", hci, "--timeout", "1.5", "--json"]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    const row = rows.find((r) => r.address === peripheral.controllerAddress);
    expect(row).toMatchObject({
      name: "DP04S007L4S200A",
      service_uuids: ["ff00"],
      manufacturer_data: "d2763c37c2a5",
      likely_jbd: true,
    });
  });

  it("discover lists FF00 with FF01 (read, notify) and FF02 (write, write without response)", async () => {
    const run = await bridge(["discover", peripheral.controllerAddress, "--hci", hci, "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      services: Array<{ uuid: string; characteristics: Array<{ uuid: string; properties: string[] }> }>;
    };
    const ff00 = result.services.find((s) => s.uuid === "ff00");
    expect(ff00?.characteristics.map((c) => c.uuid)).toEqual(["ff01", "ff02"]);
    expect(ff00?.characteristics[0]?.properties.sort()).toEqual(["notify", "read"]);
    expect(ff00?.characteristics[1]?.properties.sort()).toEqual(["write", "writeWithoutResponse"]);
  });

  it("fails with one line and exit 1 when the adapter's serial port does not exist", async () => {
    const run = await bridge(["scan", "--hci", "uart:/nonexistent/hci-tty"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "bms-bridge: Bluetooth adapter uart:/nonexistent/hci-tty: serial port /nonexistent/hci-tty does not exist\n",
    );
    expect(run.stdout).toBe("");
  });
});

/**
 * The emulated battery as a real BLE peripheral (bleno), read by a real central (noble) through the
 * virtual BLE lab, like the original Python bridge (eco_worthy_bridge.py) reads a real DP04S dongle.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulatedBattery, type EmulatedBattery } from "../../../src/emulator/battery.js";
import {
  type BlenoPeripheral,
  gattBatteryOf,
  startBlenoPeripheral,
} from "../../../src/emulator/gatt/bleno.js";
import { decodeBasicInfo, decodeCellVoltages, decodeHardwareVersion } from "../../../src/protocol/index.js";
import { type BleAdapter, openBleLink, scanBle } from "../../../src/transport/ble/index.js";
import { centralOn, readRegister, uart } from "../../support/ble-helpers.js";
import { labMissing, useLab } from "../../support/vble.js";

describe.skipIf(labMissing())("an EmulatedBattery served over bleno", () => {
  const labPtys = useLab(2);
  let central: BleAdapter;
  let peripheral: BlenoPeripheral;
  let battery: EmulatedBattery;

  beforeAll(async () => {
    const [centralPty, batteryPty] = labPtys() as [string, string];
    battery = createEmulatedBattery({ address: "A5:C2:37:3C:76:D2", speed: 0 });
    peripheral = await startBlenoPeripheral({ hci: uart(batteryPty), battery: gattBatteryOf(battery) });
    central = await centralOn(centralPty);
  });

  afterAll(async () => {
    await central?.close();
    await peripheral?.stop();
    battery?.close();
  });

  it("advertises DP04S007L4S200A with FF00 and its configured MAC as manufacturer data", async () => {
    const found = (await scanBle(central, { timeoutMs: 1500 })).find(
      (d) => d.address === peripheral.controllerAddress,
    );
    expect(found?.name).toBe("DP04S007L4S200A");
    expect(found?.serviceUuids).toEqual(["ff00"]);
    expect(found?.manufacturerDataHex).toBe("d2763c37c2a5");
  });

  it("answers DD A5 03 00 FF FD 77 in at least two notifications, then 0x04 and 0x05", async () => {
    const link = await openBleLink(central, peripheral.controllerAddress, { timeoutMs: 8000 });
    try {
      const basic = await readRegister(link, 0x03);
      expect(basic.chunks).toBeGreaterThanOrEqual(2);
      const info = decodeBasicInfo(basic.frame.data);
      if (!info.ok) throw info.error;
      const snapshot = battery.snapshot();
      expect(info.value.voltageV).toBeCloseTo(snapshot.voltageV, 2);
      expect(info.value.socPct).toBe(snapshot.socPct);
      expect(info.value.cellCount).toBe(4);

      const cells = decodeCellVoltages((await readRegister(link, 0x04)).frame.data);
      expect(cells.ok && cells.value.cellsMv).toEqual(snapshot.cellsMv);

      const version = decodeHardwareVersion((await readRegister(link, 0x05)).frame.data);
      expect(version.ok && version.value.text).toBe(battery.profile.model);
      expect(battery.requests.map((r) => r.register)).toEqual([0x03, 0x04, 0x05]);
    } finally {
      await link.close();
    }
  });
});

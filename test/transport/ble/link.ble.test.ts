/**
 * The bridge's BLE transport (noble) against the emulator's GATT adapter (bleno), both real, through
 * the virtual BLE lab: endpoint 0 is the central, endpoint 1 the battery.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlenoPeripheral } from "../../../src/emulator/gatt/bleno.js";
import { isBmsError } from "../../../src/errors.js";
import { decodeBasicInfo, decodeCellVoltages, decodeHardwareVersion } from "../../../src/protocol/index.js";
import { SAMPLE_CELLS_MV } from "../../../src/testing/index.js";
import {
  type BleAdapter,
  jbdManufacturerData,
  openBleLink,
  scanBle,
} from "../../../src/transport/ble/index.js";
import type { QueueEvent } from "../../../src/transport/ble/operation-queue.js";
import { centralOn, peripheralOn, readRegister } from "../../support/ble-helpers.js";
import {
  FAKE_HARDWARE_VERSION,
  type FakeGattBattery,
  fakeGattBattery,
} from "../../support/fake-gatt-battery.js";
import { labMissing, useLab } from "../../support/vble.js";

const BATTERY_MAC = "A5:C2:37:3C:76:D2";
const BATTERY_NAME = "DP04S007L4S200A";

describe.skipIf(labMissing())("a BLE link from noble to an emulated battery over bleno", () => {
  const labPtys = useLab(2);
  const events: QueueEvent[] = [];
  let central: BleAdapter;
  let peripheral: BlenoPeripheral;
  let battery: FakeGattBattery;

  beforeAll(async () => {
    const [centralPty, batteryPty] = labPtys() as [string, string];
    battery = fakeGattBattery(BATTERY_NAME, BATTERY_MAC);
    peripheral = await peripheralOn(batteryPty, battery);
    central = await centralOn(centralPty, (event) => events.push(event));
  });

  afterAll(async () => {
    await central?.close();
    await peripheral?.stop();
  });

  it("finds the battery by scanning, with its name, service FF00 and the JBD manufacturer data", async () => {
    const devices = await scanBle(central, { timeoutMs: 1500 });
    const found = devices.find((d) => d.address === peripheral.controllerAddress);
    expect(found).toBeDefined();
    expect(found?.name).toBe(BATTERY_NAME);
    expect(found?.serviceUuids).toContain("ff00");
    // company id = last two MAC bytes, then the first four reversed (docs/background.md §3): d2 76 3c 37 c2 a5
    expect(found?.manufacturerDataHex).toBe("d2763c37c2a5");
    expect(Buffer.from(jbdManufacturerData(BATTERY_MAC) ?? []).toString("hex")).toBe("d2763c37c2a5");
    expect(found?.verdict.likelyJbd).toBe(true);
  });

  it("reads 0x03, 0x04 and 0x05, each reply reassembled from the notifications it came in", async () => {
    const link = await openBleLink(central, peripheral.controllerAddress, { timeoutMs: 8000 });
    try {
      const basic = await readRegister(link, 0x03);
      expect(basic.chunks).toBeGreaterThanOrEqual(2); // 20-byte notifications, like a DP04S dongle
      expect(basic.frame.kind).toBe("response");
      const info = decodeBasicInfo(basic.frame.data);
      expect(info.ok && info.value.voltageV).toBe(13.45);
      expect(info.ok && info.value.socPct).toBe(71);

      const cells = decodeCellVoltages((await readRegister(link, 0x04)).frame.data);
      expect(cells.ok && cells.value.cellsMv).toEqual(SAMPLE_CELLS_MV);

      const version = decodeHardwareVersion((await readRegister(link, 0x05)).frame.data);
      expect(version.ok && version.value.text).toBe(FAKE_HARDWARE_VERSION);
      expect(battery.received.slice(-3)).toEqual(["dda50300fffd77", "dda50400fffc77", "dda50500fffb77"]);
    } finally {
      await link.close();
    }
    expect(link.isOpen).toBe(false);
  });

  it("delivers each notification exactly once after reconnecting (no duplicate handlers)", async () => {
    for (let round = 0; round < 3; round++) {
      const link = await openBleLink(central, peripheral.controllerAddress, { timeoutMs: 8000 });
      const chunks: number[] = [];
      link.onData((chunk) => chunks.push(chunk.length));
      const reply = await readRegister(link, 0x04);
      // 0x04 for 4 cells is 15 bytes: exactly one notification, seen once by each listener
      expect(reply.chunks).toBe(1);
      expect(chunks).toEqual([reply.frame.bytes.length]);
      await link.close();
    }
  });

  it("reports a disconnect by the battery through onClose with DISCONNECTED", async () => {
    const link = await openBleLink(central, peripheral.controllerAddress, { timeoutMs: 8000 });
    const closed = new Promise<unknown>((resolve) => link.onClose(resolve));
    battery.dropCentral();
    const error = await closed;
    expect(isBmsError(error, "DISCONNECTED")).toBe(true);
    expect(link.isOpen).toBe(false);
    await expect(link.write(Uint8Array.of(0xdd))).rejects.toMatchObject({ code: "NOT_OPEN" });
  });

  it("says DEVICE_NOT_FOUND for an address that does not advertise", async () => {
    await expect(openBleLink(central, "A5:C2:37:00:00:01", { timeoutMs: 1200 })).rejects.toMatchObject({
      code: "DEVICE_NOT_FOUND",
    });
  });

  it("never ran two adapter operations at once", () => {
    const labels = new Set(events.map((e) => e.label.split(" ")[0]));
    for (const kind of ["scan", "connect", "discover", "subscribe", "write", "disconnect"]) {
      expect(labels).toContain(kind);
    }
    expect(Math.max(...events.map((e) => e.running))).toBe(1);
  });
});

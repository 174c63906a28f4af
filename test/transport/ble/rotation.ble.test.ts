/**
 * Many batteries, one central, in rotation: connect, read 0x03, disconnect, next battery. This is the
 * only multi-battery mode the lab can test: btvirt loses the second link's GATT traffic when a central
 * holds two links at once (docs/cli-ble.md, "The virtual BLE lab"), which real adapters do not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulatedBattery, type EmulatedBattery } from "../../../src/emulator/battery.js";
import {
  type BlenoPeripheral,
  gattBatteryOf,
  startBlenoPeripheral,
} from "../../../src/emulator/gatt/bleno.js";
import { decodeBasicInfo } from "../../../src/protocol/index.js";
import { type BleAdapter, openBleLink, type QueueEvent } from "../../../src/transport/ble/index.js";
import { centralOn, readRegister, uart } from "../../support/ble-helpers.js";
import { labMissing, useLab } from "../../support/vble.js";

const BATTERY_COUNT = 8;

describe.skipIf(labMissing())(`one central reading ${BATTERY_COUNT} emulated batteries in rotation`, () => {
  const labPtys = useLab(9);
  const events: QueueEvent[] = [];
  let central: BleAdapter;
  const batteries: EmulatedBattery[] = [];
  const peripherals: BlenoPeripheral[] = [];

  beforeAll(async () => {
    const [centralPty, ...batteryPtys] = labPtys();
    for (let i = 0; i < BATTERY_COUNT; i++) {
      // each battery a different state of charge, so a mixed-up reply would show
      const battery = createEmulatedBattery({
        address: `A5:C2:37:00:00:${(i + 1).toString(16).padStart(2, "0").toUpperCase()}`,
        speed: 0,
        profile: { initial: { remainingAh: 40 + 25 * i } },
      });
      batteries.push(battery);
      peripherals.push(
        await startBlenoPeripheral({ hci: uart(batteryPtys[i] as string), battery: gattBatteryOf(battery) }),
      );
    }
    central = await centralOn(centralPty as string, (event) => events.push(event));
  });

  afterAll(async () => {
    await central?.close();
    for (const peripheral of peripherals) await peripheral.stop();
    for (const battery of batteries) battery.close();
  });

  it("reads every battery's own 0x03, twice round, one link at a time", async () => {
    for (let round = 0; round < 2; round++) {
      for (const [i, peripheral] of peripherals.entries()) {
        const link = await openBleLink(central, peripheral.controllerAddress, { timeoutMs: 8000 });
        try {
          const info = decodeBasicInfo((await readRegister(link, 0x03)).frame.data);
          expect(info.ok && info.value.socPct).toBe(batteries[i]?.snapshot().socPct);
        } finally {
          await link.close();
        }
      }
    }
    for (const battery of batteries) expect(battery.requests).toHaveLength(2);
    expect(Math.max(...events.map((e) => e.running))).toBe(1);
  });
});

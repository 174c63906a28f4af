/**
 * A battery served over BLE with no `--mac` carries its controller's own address in the manufacturer data
 * (as a real DP04S dongle does) and is known by it; switched off in the console it stops advertising.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulatedBattery, type EmulatedBattery } from "../../../src/emulator/battery.js";
import { type Served, serveBatteries } from "../../../src/emulator/serve.js";
import { type BleAdapter, scanBle } from "../../../src/transport/ble/index.js";
import { jbdManufacturerData } from "../../../src/transport/ble/jbd-verdict.js";
import { centralOn, uart } from "../../support/ble-helpers.js";
import { labMissing, useLab } from "../../support/vble.js";

describe.skipIf(labMissing())("an emulated battery without --mac over BLE", () => {
  const labPtys = useLab(2);
  let central: BleAdapter;
  let served: Served;
  let battery: EmulatedBattery;

  beforeAll(async () => {
    const [centralPty, batteryPty] = labPtys() as [string, string];
    battery = createEmulatedBattery({ placeholderAddress: "A5:C2:37:E0:00:01", speed: 0 });
    served = await serveBatteries([battery], [{ kind: "ble", hcis: [uart(batteryPty)] }]);
    central = await centralOn(centralPty);
  });

  afterAll(async () => {
    await central?.close();
    await served?.close();
    battery?.close();
  });

  const findIt = async () =>
    (await scanBle(central, { timeoutMs: 1500 })).find((d) => d.address === battery.address);

  it("advertises its controller's address as the MAC and takes it as its own", async () => {
    expect(battery.address).toMatch(/^00:AA:01(:[0-9A-F]{2}){3}$/); // the lab controller, not the placeholder
    expect(served.endpoints[0]?.[0]?.description).toContain(battery.address);
    const found = await findIt();
    const expected = Buffer.from(jbdManufacturerData(battery.address) ?? []).toString("hex");
    expect(expected).toHaveLength(12);
    expect(found?.manufacturerDataHex).toBe(expected);
  });

  it("stops advertising while switched off and advertises again when switched on", async () => {
    battery.setOnline(false);
    // Switching off stops advertising with an HCI command of its own; an advertisement already on its way
    // can still reach a scan that starts at once. So: gone within three scans, then still gone.
    let scans = 1;
    while ((await findIt()) !== undefined && scans < 3) scans++;
    expect(await findIt()).toBeUndefined();
    battery.setOnline(true);
    expect((await findIt())?.name).toBe("DP04S007L4S200A");
  });
});

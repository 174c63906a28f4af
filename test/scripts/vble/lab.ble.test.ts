import type { Peripheral } from "@stoprocent/noble";
import { describe, expect, it } from "vitest";
import { labMissing, useLab } from "../../support/vble.js";

// Raw noble and bleno on purpose: this checks the lab itself, not our adapters.
const uart = (port: string) => ({ hciDriver: "uart", bindParams: { uart: { port, baudRate: 1_000_000 } } });

describe.skipIf(labMissing())("the virtual BLE lab", () => {
  const labPtys = useLab(2);
  it("gives every endpoint its own controller, and one sees the other advertise", async () => {
    const [central, peripheral] = labPtys();
    const bleno = (await import("@stoprocent/bleno")).withBindings("hci", uart(peripheral as string));
    const noble = (await import("@stoprocent/noble")).withBindings("hci", uart(central as string));
    try {
      await bleno.waitForPoweredOnAsync(5000);
      await noble.waitForPoweredOnAsync(5000);
      expect(bleno.address).not.toBe(noble.address);
      await bleno.startAdvertisingAsync("LAB-CHECK", ["ff00"]);
      const seen = new Promise<Peripheral>((resolve) => {
        noble.on("discover", (p: Peripheral) => {
          if (p.advertisement.localName === "LAB-CHECK") resolve(p);
        });
      });
      // duplicates allowed: the name comes in the scan response, which may follow noble's one report
      await noble.startScanningAsync([], true);
      const found = await seen;
      expect(found.address).toBe(bleno.address);
      expect(found.advertisement.serviceUuids).toContain("ff00");
    } finally {
      noble.stop();
      bleno.stop();
    }
  });
});

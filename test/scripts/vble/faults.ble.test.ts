/**
 * The lab's field faults themselves, with raw noble and bleno (not our adapters): an unplugged endpoint's
 * pty disappears and its peer loses the link, a replugged one comes back at the same path with the same
 * controller address; a frozen endpoint answers nothing until the host resets it; the radio model reports
 * a plausible RSSI instead of btvirt's 127.
 */

import { existsSync } from "node:fs";
import type { Noble, Peripheral } from "@stoprocent/noble";
import { describe, expect, it } from "vitest";
import { DEFAULT_RADIO } from "../../../scripts/vble/radio.js";
import { labMissing, until, useFaultLab } from "../../support/vble.js";

const uart = (port: string) => ({ hciDriver: "uart", bindParams: { uart: { port, baudRate: 1_000_000 } } });

async function poweredNoble(port: string): Promise<Noble> {
  const noble = (await import("@stoprocent/noble")).withBindings("hci", uart(port));
  await noble.waitForPoweredOnAsync(10_000);
  return noble;
}

/**
 * The first report of `address` while scanning. By address, not by name: bleno puts the name in the scan
 * response, and with duplicates filtered noble reports a device once — from its second advertisement when
 * that comes before the scan response — so a name filter can miss the one report and wait forever.
 */
function discover(noble: Noble, address: string, timeoutMs = 10_000): Promise<Peripheral> {
  return new Promise((resolve, reject) => {
    const wanted = address.toLowerCase();
    const timer = setTimeout(() => {
      noble.removeListener("discover", onDiscover);
      reject(new Error(`no advertisement from ${address} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onDiscover = (p: Peripheral) => {
      if (p.address.toLowerCase() !== wanted) return;
      clearTimeout(timer);
      noble.removeListener("discover", onDiscover);
      resolve(p);
    };
    noble.on("discover", onDiscover);
    noble.startScanningAsync([], false).catch(reject);
  });
}

describe.skipIf(labMissing())("the virtual BLE lab's field faults", () => {
  const lab = useFaultLab(2, "lab faults");

  it("unplug: the pty goes, the peer loses its link; replug: same path, same controller", async () => {
    const [centralPty, peripheralPty] = lab().ptys as [string, string];
    const bleno = (await import("@stoprocent/bleno")).withBindings("hci", uart(peripheralPty));
    const noble = await poweredNoble(centralPty);
    let second: Noble | undefined;
    try {
      await bleno.waitForPoweredOnAsync(10_000);
      const disconnects: string[] = [];
      bleno.on("disconnect", (address: string) => disconnects.push(address));
      await bleno.startAdvertisingAsync("LAB-FAULTS", ["ff00"]);
      const peripheral = await discover(noble, bleno.address);
      await noble.stopScanningAsync();
      await peripheral.connectAsync();
      const address = noble.address;
      const states: string[] = [];
      noble.on("stateChange", (state: string) => states.push(state));

      await lab().unplug(0);
      expect(existsSync(centralPty)).toBe(false);
      expect(lab().state(0).plugged).toBe(false);
      // bounded below the test's own timeout, so a failure names the condition that did not hold
      await until("the peripheral to see the link drop", () => disconnects.length === 1, 15_000);
      // Like a hung-up tty, the vanished pty reads as end-of-file, which serialport reads again and again
      // without closing: an idle binding notices only at its next write (why src/transport/hci-port-watch.ts
      // exists). So noble is given something to write; the write fails and its port closes.
      noble.startScanningAsync([], false).catch(() => undefined);
      await until("noble to notice at its next write", () => states.includes("poweredOff"), 15_000);

      await lab().replug(0);
      expect(existsSync(centralPty)).toBe(true);
      noble.stop();
      second = await poweredNoble(centralPty);
      expect(second.address).toBe(address);
    } finally {
      noble.stop();
      second?.stop();
      bleno.stop();
      // a failure above must not leave the next tests without their controller
      if (!lab().state(0).plugged) await lab().replug(0);
    }
  }, 60_000);

  it("freeze: nothing answers, until the host resets the controller when asked to thaw on reset", async () => {
    const [centralPty] = lab().ptys as [string];
    const noble = await poweredNoble(centralPty);
    let fresh: Noble | undefined;
    try {
      lab().freeze(0, { untilReset: true });
      const before = lab().state(0).dropped;
      let started = false;
      noble.startScanningAsync([], false).then(
        () => (started = true),
        () => undefined,
      );
      await until("the relay to drop the scan command", () => lab().state(0).dropped > before);
      expect(started).toBe(false);
      expect(lab().state(0).frozen).toBe(true);
      noble.stop();
      // a fresh instance begins with HCI_Reset, which thaws the controller
      fresh = await poweredNoble(centralPty);
      expect(lab().state(0).frozen).toBe(false);
      expect(started).toBe(false); // the command lost while frozen stays lost
    } finally {
      noble.stop();
      fresh?.stop();
    }
  });

  it("radio model: adverts carry an RSSI around the model's, not btvirt's 127", async () => {
    const [centralPty, peripheralPty] = lab().ptys as [string, string];
    const bleno = (await import("@stoprocent/bleno")).withBindings("hci", uart(peripheralPty));
    const noble = await poweredNoble(centralPty);
    try {
      await bleno.waitForPoweredOnAsync(10_000);
      await bleno.startAdvertisingAsync("LAB-RADIO", ["ff00"]);
      const plain = await discover(noble, bleno.address);
      await noble.stopScanningAsync();
      expect(plain.rssi).toBe(127);
      lab().setRadio(0, { ...DEFAULT_RADIO, rssiDbm: -75 });
      noble.stop();
      const modelled = await poweredNoble(centralPty);
      try {
        const seen = await discover(modelled, bleno.address);
        expect(seen.rssi).toBeGreaterThanOrEqual(-79);
        expect(seen.rssi).toBeLessThanOrEqual(-71);
      } finally {
        modelled.stop();
      }
    } finally {
      lab().setRadio(0, undefined);
      noble.stop();
      bleno.stop();
    }
  });
});

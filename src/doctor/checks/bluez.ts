/**
 * BlueZ next to noble. noble's raw HCI socket shares the adapter with the kernel and bluetoothd:
 * bluetoothd is welcome (it powers the adapter up at boot), but a battery stored in BlueZ (paired or
 * trusted, e.g. by the original Python bridge through bleak) may be connected by bluetoothd, and a JBD BMS
 * takes one connection only and stops advertising while it has one.
 */
import { bleTargets, blockedBy, notApplicable } from "../ble-targets.js";
import type { Check } from "../types.js";

const ID = "bluez";

export const bluezCheck: Check = {
  id: ID,
  title: "BlueZ",
  run: async (input) => {
    const native = bleTargets(input).filter((target) => target.hci.driver === "native");
    if (native.length === 0) return notApplicable(ID);
    const blocked = blockedBy(ID, input, "adapter");
    if (blocked) return blocked;
    const { system } = input;
    const configured = new Set(native.flatMap((target) => target.batteries));
    const stored = (await system.bluezKnownDevices()).filter((mac) => configured.has(mac));
    if (stored.length > 0) {
      return {
        id: ID,
        status: "fail",
        summary: `BlueZ has ${stored.join(", ")} stored: bluetoothd may connect and hold the battery's only connection`,
        fix: stored.map((mac) => `bluetoothctl remove ${mac}`).join("; "),
      };
    }
    if (await system.processRunning("bluetoothd")) {
      return {
        id: ID,
        status: "pass",
        summary: "bluetoothd runs (it powers the adapter at boot); no configured battery is stored in BlueZ",
        details: [
          "bms-emu over BLE on the same adapter needs bluetoothd stopped: sudo systemctl stop bluetooth",
        ],
      };
    }
    return {
      id: ID,
      status: "warn",
      summary: "bluetoothd is not running: nothing powers the adapter up after a reboot",
      fix: "sudo systemctl enable --now bluetooth",
    };
  },
};

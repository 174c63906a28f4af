/** The Bluetooth adapter exists and nothing blocks it (rfkill); a UART controller's port is usable. */
import { type BleTarget, bleTargets, hciName, notApplicable } from "../ble-targets.js";
import type { Check, CheckResult, DoctorSystem } from "../types.js";

const ID = "adapter";

async function checkNative(system: DoctorSystem, target: BleTarget): Promise<CheckResult | string> {
  const name = hciName(target.hci);
  const present = await system.hciDevices();
  if (!present.includes(name)) {
    const found = present.length > 0 ? `only ${present.join(", ")}` : "none";
    return {
      id: ID,
      status: "fail",
      summary: `no Bluetooth adapter ${name} (adapters found: ${found})`,
      fix:
        present.length > 0
          ? `use one that exists: --hci native:${present[0]?.slice(3)} (or BMS_HCI / bridge.hci)`
          : "plug in a USB Bluetooth adapter, or on a Raspberry Pi remove dtoverlay=disable-bt from /boot/firmware/config.txt and reboot",
    };
  }
  const blocked = (await system.bluetoothRfkill()).filter((entry) => entry.soft || entry.hard);
  if (blocked.length > 0) {
    const hard = blocked.some((entry) => entry.hard);
    return {
      id: ID,
      status: "fail",
      summary: `${name} is blocked by rfkill (${hard ? "hard" : "soft"} block)`,
      fix: hard
        ? "a switch or the firmware blocks the radio: check the board's config"
        : "sudo rfkill unblock bluetooth",
    };
  }
  return `${name} present, not blocked`;
}

async function checkUart(system: DoctorSystem, target: BleTarget): Promise<CheckResult | string> {
  const port = hciName(target.hci);
  const access = await system.canReadWrite(port);
  if (access === "ok") return `${port} present and writable`;
  return {
    id: ID,
    status: "fail",
    summary: access === "missing" ? `serial port ${port} does not exist` : `no read/write access to ${port}`,
    fix:
      access === "missing"
        ? "check the --hci uart:PATH setting and that the controller is plugged in (ls /dev/tty*)"
        : 'sudo usermod -aG dialout "$USER", then log in again (the service user needs it too)',
  };
}

export const adapterCheck: Check = {
  id: ID,
  title: "Bluetooth adapter",
  run: async (input) => {
    const targets = bleTargets(input);
    if (targets.length === 0) return notApplicable(ID);
    const found: string[] = [];
    for (const target of targets) {
      const result =
        target.hci.driver === "uart"
          ? await checkUart(input.system, target)
          : await checkNative(input.system, target);
      if (typeof result !== "string") return result;
      found.push(result);
    }
    return { id: ID, status: "pass", summary: found.join("; ") };
  },
};

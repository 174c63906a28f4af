/**
 * The adapter powers on and the configured BLE batteries advertise, each with its signal strength.
 * Skipped while the bms-bridge service is active: it holds the batteries' connections, and a connected
 * BMS does not advertise (its log lines, shown by the service check, say whether readings flow).
 */
import { type BleTarget, bleTargets, blockedBy, hciName, notApplicable } from "../ble-targets.js";
import type { Check, CheckResult, ScannedBattery } from "../types.js";

const ID = "scan";

function describe(device: ScannedBattery): string {
  const rssi = device.rssi === undefined ? "RSSI n/a" : `RSSI ${device.rssi} dBm`;
  return `${device.address} ${device.name ?? "(no name)"} ${rssi}`;
}

/** What to do about an adapter that did not open, from noble's state in the message. */
function openFix(message: string, target: BleTarget): string {
  const index = target.hci.driver === "native" ? target.hci.deviceId : 0;
  if (/power/i.test(message)) return `sudo btmgmt --index ${index} power on (or: bluetoothctl power on)`;
  if (/permission/i.test(message)) return "run sudo bms-bridge doctor; the service has the capabilities";
  return "check the adapter (dmesg | grep -i bluetooth) and the --hci setting";
}

async function scanTarget(target: BleTarget, input: Parameters<Check["run"]>[0]): Promise<CheckResult> {
  const name = hciName(target.hci);
  const outcome = await input.system.scan(target.text, input.options.scanTimeoutMs);
  if (!outcome.ok) {
    return {
      id: ID,
      status: "fail",
      summary: outcome.error.message,
      fix: openFix(outcome.error.message, target),
    };
  }
  const seconds = input.options.scanTimeoutMs / 1000;
  if (target.batteries.length === 0) {
    const jbd = outcome.devices.filter((device) => device.likelyJbd);
    return {
      id: ID,
      status: jbd.length > 0 ? "pass" : "warn",
      summary: `${name} powered on; ${jbd.length} JBD battery(ies) advertising in ${seconds} s`,
      details: jbd.map(describe),
      ...(jbd.length === 0 && {
        fix: "none in range yet: wake the BMS (apply a load or a charger) and move closer",
      }),
    };
  }
  const seen = new Map(outcome.devices.map((device) => [device.address, device]));
  const missing = target.batteries.filter((mac) => !seen.has(mac));
  const details = target.batteries.map((mac) => {
    const device = seen.get(mac);
    return device ? describe(device) : `${mac} not seen`;
  });
  if (missing.length === 0) {
    return {
      id: ID,
      status: "pass",
      summary: `${name}: all ${target.batteries.length} configured battery(ies) advertising`,
      details,
    };
  }
  return {
    id: ID,
    status: "fail",
    summary: `${name}: ${missing.length} of ${target.batteries.length} configured battery(ies) not advertising in ${seconds} s`,
    details,
    fix: "power the BMS, move closer, and disconnect the phone app or any other central (a connected BMS does not advertise)",
  };
}

export const scanCheck: Check = {
  id: ID,
  title: "batteries advertising",
  run: async (input) => {
    const targets = bleTargets(input);
    if (targets.length === 0) return notApplicable(ID);
    const blocked = blockedBy(ID, input, "adapter", "permission");
    if (blocked) return blocked;
    if (input.earlier.get("service")?.facts?.active === "active") {
      return {
        id: ID,
        status: "skip",
        summary: "skipped: the bms-bridge service is active and holds the batteries' connections",
        details: [
          "to scan anyway: sudo systemctl stop bms-bridge; bms-bridge doctor; sudo systemctl start bms-bridge",
        ],
      };
    }
    const results = [];
    for (const target of targets) results.push(await scanTarget(target, input));
    const failed = results.find((result) => result.status === "fail");
    if (results.length === 1 || failed) return failed ?? (results[0] as CheckResult);
    return {
      id: ID,
      status: results.some((result) => result.status === "warn") ? "warn" : "pass",
      summary: results.map((result) => result.summary).join("; "),
      details: results.flatMap((result) => result.details ?? []),
    };
  },
};

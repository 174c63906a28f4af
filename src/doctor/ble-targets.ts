/** Which Bluetooth adapters the BLE checks look at, and the batteries expected on each. */
import { type HciSelection, parseHci } from "../transport/hci.js";
import type { CheckResult, DoctorInput } from "./types.js";

export interface BleTarget {
  /** As configured: `native`, `native:1`, `uart:/dev/ttyAMA0`. */
  text: string;
  hci: HciSelection;
  /** Upper-case MACs of the BLE batteries configured on this adapter (none when no valid config). */
  batteries: string[];
}

/**
 * The adapters of the configured BLE batteries. With no valid configuration, the adapter `setup` and
 * `scan` would use (--hci, BMS_HCI, else native), so a fresh install is checked before its first setup.
 * Empty when the configuration is valid and has no BLE battery: the BLE checks do not apply.
 */
export function bleTargets(input: DoctorInput): BleTarget[] {
  const byHci = new Map<string, string[]>();
  if (input.config.ok) {
    for (const battery of input.config.config.batteries) {
      if (battery.target.kind !== "ble") continue;
      byHci.set(battery.hci, [...(byHci.get(battery.hci) ?? []), battery.target.mac]);
    }
  } else {
    byHci.set(input.options.fallbackHci, []);
  }
  return [...byHci].flatMap(([text, batteries]) => {
    const parsed = parseHci(text);
    return parsed.ok ? [{ text, hci: parsed.hci, batteries }] : [];
  });
}

export function hciName(hci: HciSelection): string {
  return hci.driver === "uart" ? hci.port : `hci${hci.deviceId}`;
}

export function notApplicable(id: string): CheckResult {
  return { id, status: "skip", summary: "not applicable: no BLE battery configured" };
}

/** A skip naming the failed check this one depends on (that failure already sets the exit code). */
export function blockedBy(id: string, input: DoctorInput, ...needs: string[]): CheckResult | undefined {
  const failed = needs.find((need) => input.earlier.get(need)?.status === "fail");
  return failed === undefined
    ? undefined
    : { id, status: "skip", summary: `skipped: the ${failed} check failed` };
}

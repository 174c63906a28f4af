/** Options shared by the BLE sub-commands: `--hci` (default env BMS_HCI, else native) and `--timeout`. */
import { Option } from "commander";
import type { BleAdapter } from "../../transport/ble/adapter.js";
import { usageError } from "../run-cli.js";

export const HCI_HELP = "Bluetooth controller: native (hci0), native:N, or uart:/dev/ttyX (env BMS_HCI)";

export function hciOption(): Option {
  return new Option("--hci <selection>", HCI_HELP).env("BMS_HCI").default("native");
}

export function parseSeconds(text: string, what: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw usageError(`${what}: "${text}" is not a number of seconds (0 < S ≤ 600)`);
  }
  return seconds;
}

/** Opens the adapter or fails with one clear line (ADAPTER_UNAVAILABLE, exit 1) within a few seconds. */
export async function openCliAdapter(hciText: string): Promise<BleAdapter> {
  const { parseHci } = await import("../../transport/hci.js");
  const parsed = parseHci(hciText);
  if (!parsed.ok) throw usageError(`--hci: ${parsed.problem}`);
  const { openBleAdapter } = await import("../../transport/ble/adapter.js");
  return openBleAdapter({ hci: parsed.hci, powerOnTimeoutMs: 4000 });
}

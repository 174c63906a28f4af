/** `bms-bridge scan`: list advertising batteries, strongest first (the Accu-Solar BMS setup guide, "Scan for Your Batteries"). */
import type { Command } from "commander";
import { hciOption, openCliAdapter, parseSeconds } from "./ble-options.js";

interface ScanFlags {
  timeout: string;
  json?: boolean;
  all?: boolean;
  hci: string;
}

/** A one-line progress indicator, only when stderr is a terminal (never in logs or pipes). */
function progressLine(seconds: number): ((p: { elapsedMs: number; found: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return ({ elapsedMs, found }) => {
    const left = Math.max(0, Math.ceil(seconds - elapsedMs / 1000));
    process.stderr.write(`\rscanning… ${found} device(s) seen, ${left} s left `);
  };
}

export function registerScan(program: Command): void {
  program
    .command("scan")
    .description("scan for JBD batteries over BLE, strongest signal first")
    .option("--timeout <seconds>", "how long to scan", "8")
    .option("--json", "print the devices as JSON")
    .option("--all", "also list devices that do not look like a JBD BMS")
    .addOption(hciOption())
    .action(async (flags: ScanFlags) => {
      const seconds = parseSeconds(flags.timeout, "--timeout");
      const all = flags.all === true;
      const { scanBle } = await import("../../transport/ble/scan.js");
      const { formatScanLines, scanJson, scanSummary } = await import("../ble-format.js");
      const adapter = await openCliAdapter(flags.hci);
      try {
        const onProgress = flags.json ? undefined : progressLine(seconds);
        const devices = await scanBle(adapter, {
          timeoutMs: seconds * 1000,
          ...(onProgress ? { onProgress } : {}),
        });
        if (onProgress) process.stderr.write("\r\x1b[K");
        if (flags.json) {
          process.stdout.write(scanJson(devices, { all }));
          return;
        }
        const lines = formatScanLines(devices, { all });
        if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
        process.stderr.write(`${scanSummary(devices, seconds, all)}\n`);
      } finally {
        await adapter.close();
      }
    });
}

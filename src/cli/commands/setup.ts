/**
 * `bms-bridge setup`: the guided first run (scan, pick, broker, read once, write the config, offer the
 * service). The flow lives in ../setup/setup-flow.ts, its real effects (the BLE adapter kept open from the
 * scan to the reads, links, an MQTT connection test, files, the service) in ../setup/setup-effects.ts.
 */
import type { Command } from "commander";
import { usageError } from "../run-cli.js";
import { hciOption, parseSeconds } from "./ble-options.js";

interface SetupCommandFlags {
  yes?: boolean;
  address: string[];
  broker?: string;
  hci: string;
  output: string;
  scanTimeout: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerSetup(program: Command): void {
  program
    .command("setup")
    .description("guided setup: find batteries, test the broker, write bms-bridge.yaml, offer the service")
    .option("-y, --yes", "accept every default and never prompt (scriptable)")
    .option("-a, --address <address>", "battery address instead of scanning (repeatable)", collect, [])
    .option("-b, --broker <host[:port]|url>", "MQTT broker (default localhost:1883)")
    .addOption(hciOption())
    .option("-o, --output <file>", "configuration file to write", "bms-bridge.yaml")
    .option("--scan-timeout <seconds>", "how long to scan", "8")
    .action(async (flags: SetupCommandFlags) => {
      // what setup needs is loaded only by this command, not by every `bms-bridge run`
      const [{ parseHci }, { parseAddress }] = await Promise.all([
        import("../../transport/hci.js"),
        import("../../transport/address.js"),
      ]);
      const hci = parseHci(flags.hci);
      if (!hci.ok) throw usageError(`--hci: ${hci.problem}`);
      for (const address of flags.address) {
        const parsed = parseAddress(address);
        if (!parsed.ok) throw usageError(`--address ${address}: ${parsed.problem}`);
      }
      const [{ runSetup }, { scanBle }, { createBleLinkOpener }, { quiet, realDeps }] = await Promise.all([
        import("../setup/setup-flow.js"),
        import("../../transport/ble/scan.js"),
        import("../../transport/ble/opener.js"),
        import("../setup/setup-effects.js"),
      ]);
      const ble = createBleLinkOpener({ hci: hci.hci, logger: quiet, powerOnTimeoutMs: 4000 });
      try {
        await runSetup(
          {
            yes: flags.yes === true,
            address: flags.address,
            ...(flags.broker !== undefined && { broker: flags.broker }),
            hci: flags.hci,
            output: flags.output,
            scanSeconds: parseSeconds(flags.scanTimeout, "--scan-timeout"),
          },
          { input: process.stdin, output: process.stdout },
          realDeps(ble, scanBle),
        );
      } finally {
        await ble.close();
      }
    });
}

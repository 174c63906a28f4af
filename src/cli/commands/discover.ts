/** `bms-bridge discover <address>`: dump every GATT service and characteristic (like discover_uuids.py of the original Python bridge). */
import type { Command } from "commander";
import { usageError } from "../run-cli.js";
import { hciOption, openCliAdapter, parseSeconds } from "./ble-options.js";

interface DiscoverFlags {
  timeout: string;
  json?: boolean;
  hci: string;
}

export function registerDiscover(program: Command): void {
  program
    .command("discover")
    .description(
      "connect to a BLE device and list its services and characteristics (values of readable ones)",
    )
    .argument("<address>", "BLE MAC address, e.g. A5:C2:37:3C:76:D2")
    .option("--timeout <seconds>", "give up finding and connecting after this long", "15")
    .option("--json", "print the result as JSON")
    .addOption(hciOption())
    .action(async (address: string, flags: DiscoverFlags) => {
      const { normalizeMac } = await import("../../transport/address.js");
      const mac = normalizeMac(address);
      if (!mac) throw usageError(`discover: "${address}" is not a BLE MAC address (AA:BB:CC:DD:EE:FF)`);
      const seconds = parseSeconds(flags.timeout, "--timeout");
      const { discoverBle } = await import("../../transport/ble/discover.js");
      const { discoveryJson, formatDiscovery } = await import("../ble-format.js");
      const adapter = await openCliAdapter(flags.hci);
      try {
        const services = await discoverBle(adapter, mac, { timeoutMs: seconds * 1000 });
        process.stdout.write(flags.json ? discoveryJson(mac, services) : formatDiscovery(mac, services));
      } finally {
        await adapter.close();
      }
    });
}

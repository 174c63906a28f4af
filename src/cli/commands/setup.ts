/**
 * `bms-bridge setup`: the guided first run (scan, pick, broker, read once, write the config, offer the
 * service). The flow lives in ../setup/setup-flow.ts; this file gives it the real effects: the BLE
 * adapter (kept open from the scan to the reads), links, an MQTT connection test, files, and
 * `bms-bridge service install` as a child process.
 */
import { spawn } from "node:child_process";
import { access, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { BmsClient } from "../../bridge/device/client.js";
import { describeConnectError } from "../../bridge/mqtt/options.js";
import { createLogger } from "../../log/logger.js";
import { parseAddress } from "../../transport/address.js";
import { type BleLinkOpener, createBleLinkOpener } from "../../transport/ble/opener.js";
import { parseHci } from "../../transport/hci.js";
import { createBatteryLinkOpener } from "../../transport/open-link.js";
import { systemClock } from "../../util/clock.js";
import { usageError } from "../run-cli.js";
import type { BatteryReadout, BrokerTest, SetupDeps } from "../setup/setup-flow.js";
import { PACKAGE_VERSION } from "../version.js";
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
const quiet = createLogger({ level: "error", sink: () => {} });

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
      const hci = parseHci(flags.hci);
      if (!hci.ok) throw usageError(`--hci: ${hci.problem}`);
      for (const address of flags.address) {
        const parsed = parseAddress(address);
        if (!parsed.ok) throw usageError(`--address ${address}: ${parsed.problem}`);
      }
      // the flow (prompts, yaml) is loaded only by this command, not by every `bms-bridge run`
      const [{ runSetup }, { scanBle }] = await Promise.all([
        import("../setup/setup-flow.js"),
        import("../../transport/ble/scan.js"),
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

function realDeps(
  ble: BleLinkOpener,
  scanBle: typeof import("../../transport/ble/scan.js").scanBle,
): SetupDeps {
  const links = createBatteryLinkOpener({
    clock: systemClock,
    logger: quiet,
    createBleOpener: async () => ble,
  });
  return {
    version: PACKAGE_VERSION,
    scan: async (_hci, seconds, onProgress) =>
      scanBle(await ble.adapter(), { timeoutMs: seconds * 1000, onProgress }),
    readOnce: (address, hci) => readOnce(links, address, hci),
    testBroker,
    exists: async (path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    // the flow asked before an existing file is overwritten
    writeFile: (path, text) => writeFile(path, text),
    installService: (configPath) => installService(configPath),
    absolute: (path) => resolve(path),
    now: () => new Date(),
  };
}

async function readOnce(
  links: ReturnType<typeof createBatteryLinkOpener>,
  address: string,
  hci: string,
): Promise<BatteryReadout> {
  const parsed = parseAddress(address);
  if (!parsed.ok) throw usageError(`${address}: ${parsed.problem}`);
  const link = await links.open({ target: parsed.address, hci }, { timeoutMs: 20_000 });
  const client = new BmsClient(link, { clock: systemClock, logger: quiet });
  try {
    const model = await client.readModel().catch(() => undefined);
    const basic = await client.readBasicInfo();
    const cells = await client.readCellVoltages();
    return { basic, cells, ...(model !== undefined && { model }) };
  } finally {
    client.dispose();
    await link.close();
  }
}

async function testBroker(url: string): Promise<BrokerTest> {
  const started = Date.now();
  try {
    const { default: mqtt } = await import("mqtt"); // only when setup runs, not with every command
    const client = await mqtt.connectAsync(url, {
      connectTimeout: 5000,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    await client.endAsync();
    return { ok: true, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, reason: describeConnectError(error as Error, url) };
  }
}

function installService(configPath: string): Promise<void> {
  const script = process.argv[1] as string;
  return new Promise((resolveDone, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, script, "service", "install", "--config", configPath],
      {
        stdio: "inherit",
      },
    );
    child.on("error", reject);
    child.on("exit", () => resolveDone());
  });
}

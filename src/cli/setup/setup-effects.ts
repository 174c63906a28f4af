/**
 * The real effects of `bms-bridge setup` (src/cli/setup/setup-flow.ts takes them as SetupDeps): scanning
 * and reading over the adapter kept open from the scan to the reads, the MQTT connection test, files, and
 * `bms-bridge service install` as a child process. Loaded by the setup command's action only, so that
 * these modules are not in every command's memory.
 */
import { spawn } from "node:child_process";
import { access, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { BmsClient } from "../../bridge/device/client.js";
import { describeConnectError } from "../../bridge/mqtt/options.js";
import { createLogger } from "../../log/logger.js";
import { parseAddress } from "../../transport/address.js";
import type { BleLinkOpener } from "../../transport/ble/opener.js";
import { createBatteryLinkOpener } from "../../transport/open-link.js";
import { systemClock } from "../../util/clock.js";
import { usageError } from "../run-cli.js";
import { PACKAGE_VERSION } from "../version.js";
import type { BatteryReadout, BrokerTest, SetupDeps } from "./setup-flow.js";

/** Logs of links and clients stay out of the guided setup's conversation. */
export const quiet = createLogger({ level: "error", sink: () => {} });

export function realDeps(
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

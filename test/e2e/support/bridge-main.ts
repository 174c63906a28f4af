/**
 * A bridge process for the end-to-end suites: `node --import tsx bridge-main.ts <config.yaml>`. It runs the
 * real composition (startBridge: TCP/BLE links, poller, MQTT connection, publisher) with the config file
 * plus the environment, logging text lines to stdout, and stops on SIGTERM like the CLI will.
 */
import { readFileSync } from "node:fs";
import { startBridge } from "../../../src/bridge/bridge.js";
import { loadConfig } from "../../../src/config/load.js";
import { createLogger, formatTextRecord } from "../../../src/log/logger.js";
import { systemClock } from "../../../src/util/clock.js";

const path = process.argv[2] as string;
const config = loadConfig({ file: { path, text: readFileSync(path, "utf8") }, env: process.env });
const logger = createLogger({
  level: config.log.level,
  sink: (record) => process.stdout.write(`${formatTextRecord(record)}\n`),
});
const bridge = await startBridge({ config, logger, clock: systemClock });
process.once("SIGTERM", () => {
  void bridge.stop().then(() => process.exit(0));
});

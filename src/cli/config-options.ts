/**
 * The configuration flags shared by `run`, `demo` and `service` (one definition, so every command
 * accepts the same names), and the one place that turns env + flags + file into a BridgeConfig.
 */
import { type Command, Option } from "commander";
import type { BridgeConfig } from "../config/config.js";
import { loadConfigIsolated } from "../config/load-isolated.js";
import { readConfigFile } from "../config/read-file.js";
import {
  createLogger,
  formatJsonRecord,
  formatTextRecord,
  type Logger,
  type LogLevel,
} from "../log/logger.js";

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds every config flag (see FLAG_MAPPINGS in src/config/layers.ts). */
export function addConfigOptions(
  command: Command,
  options: { battery?: boolean; broker?: boolean } = {},
): Command {
  command.option("-c, --config <file>", "configuration file (.yaml or .json); env BMS_CONFIG");
  if (options.battery !== false) {
    command
      .option(
        "-a, --address <address>",
        "battery address (repeatable): MAC, serial:/dev/ttyUSB0[@baud], tcp:host:port",
        collect,
      )
      .option("--hci <hci>", "BLE adapter: native, native:N or uart:/dev/ttyX (env BMS_HCI)")
      .option(
        "--poll-interval <seconds>",
        "seconds between reads of a battery (env POLL_INTERVAL, default 5)",
      )
      .option("--max-connections <n>", "persistent BLE links per adapter; more batteries rotate (default 3)")
      .option("--disconnect-between-polls", "disconnect after every read so the phone app can connect")
      .option(
        "--adapter-give-up-after <seconds>",
        "exit with code 1 when a BLE adapter cannot be brought back for this long (env BMS_ADAPTER_GIVE_UP_AFTER, default 600)",
      )
      .option(
        "--allow-control",
        "act on <prefix>/battery/<id>/set/charge|discharge ON/OFF (MOSFET writes; off by default; env BMS_ALLOW_CONTROL)",
      )
      .option(
        "--mirror <hci,...>",
        "re-advertise each battery for the phone app on its own BLE controller, in battery order (repeatable; env BMS_MIRROR_HCI)",
        collect,
      )
      .option(
        "--capture <file.jsonl>",
        "record every request and response for bms-emu --replay (env BMS_CAPTURE_FILE)",
      );
  }
  if (options.broker !== false) {
    command
      .option(
        "-b, --broker <host|url>",
        "MQTT broker host or mqtt(s):// URL (env MQTT_BROKER, default localhost)",
      )
      .option("-p, --port <port>", "MQTT broker port (env MQTT_PORT, default 1883)")
      .option("--username <user>", "MQTT user name (env MQTT_USERNAME)")
      .option("--password <password>", "MQTT password (env MQTT_PASSWORD; prefer the env var)")
      .option("--tls", "connect with TLS (mqtts)")
      .option("--ca-file <file>", "CA certificate (PEM) for TLS (env MQTT_CA_FILE)")
      .option("--client-id <id>", "MQTT client id (default: unique per bridge)");
  }
  return command
    .option("--bridge-id <id>", "this bridge's id on the site (env BMS_BRIDGE_ID, default: the host name)")
    .option(
      "--bank <auto|always|off>",
      "publish the site bank: auto = elected among the bridges, always, off (env BMS_BANK, default auto)",
    )
    .option("--topic-prefix <prefix>", "first topic level (env MQTT_TOPIC_PREFIX, default accusolar)")
    .option("--qos <0|1|2>", "QoS of telemetry (env MQTT_QOS, default 1)")
    .addOption(new Option("--ha-discovery", "publish Home Assistant discovery (default on)"))
    .addOption(new Option("--no-ha-discovery", "do not publish Home Assistant discovery"))
    .option("--log-level <level>", "debug, info, warn or error (env LOG_LEVEL, default info)")
    .option("--log-json", "log JSON lines instead of the original Python bridge's text lines");
}

export interface ProcessInputs {
  env: Readonly<Record<string, string | undefined>>;
}

/** env + flags + file → validated config (throws BmsError CONFIG_INVALID listing every problem). */
export async function configFromCommand(
  flags: Record<string, unknown>,
  inputs: ProcessInputs,
  extra: { defaultBatteries?: string[]; requireBattery?: boolean } = {},
): Promise<BridgeConfig> {
  const configPath = (flags.config as string | undefined) ?? inputs.env.BMS_CONFIG;
  const file = configPath ? await readConfigFile(configPath) : undefined;
  // in a worker thread: the bridge then never loads zod (src/config/load-isolated.ts)
  return loadConfigIsolated({ env: inputs.env, flags, ...(file !== undefined && { file }), ...extra });
}

/** The process logger: text lines as the original Python bridge wrote them (or JSON lines) on stdout. */
export function processLogger(level: LogLevel, json: boolean, write: (line: string) => void): Logger {
  const format = json ? formatJsonRecord : formatTextRecord;
  return createLogger({ level, sink: (record) => write(`${format(record)}\n`) });
}

/**
 * `bms-bridge demo` (what `npm start` runs): an embedded MQTT broker, in-process emulated batteries and the
 * bridge publishing to it, so Accu-Solar or mosquitto_sub can be tried with no battery and no Mosquitto.
 */
import type { Command } from "commander";
import type { BridgeConfig } from "../../config/config.js";
import { DEFAULT_CONSOLE } from "../../emulator/console/defaults.js";
import { isBmsError } from "../../errors.js";
import { systemClock } from "../../util/clock.js";
import { configFromCommand, processLogger } from "../config-options.js";
import { usageError } from "../run-cli.js";
import { PACKAGE_VERSION } from "../version.js";
import { stopSignal } from "./run.js";

interface DemoFlags extends Record<string, unknown> {
  scenario?: string;
  count: string;
  speed?: string;
  port: string;
  wsPort: string;
  ws: boolean;
  /** HOST:PORT, or false with --no-console. */
  console: string | false;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("embedded broker + emulated batteries + the bridge: try it with no battery and no Mosquitto")
    .option(
      "--scenario <name>",
      "emulator scenario (idle, charge, discharge, imbalance, …; see bms-emu --help)",
    )
    .option(
      "--count <n>",
      "number of emulated batteries (8 = the bank of the Accu-Solar BMS setup guide)",
      "1",
    )
    .option("--speed <x>", "simulated seconds per real second (default: the scenario's)")
    .option("-p, --port <port>", "MQTT port of the embedded broker", "1883")
    .option("--ws-port <port>", "MQTT over WebSocket port", "8083")
    .option("--no-ws", "no WebSocket listener")
    .option(
      "--console <host:port>",
      "the live web console and its API (a non-loopback address needs the printed token)",
      `${DEFAULT_CONSOLE.host}:${DEFAULT_CONSOLE.port}`,
    )
    .option("--no-console", "no web console (the MQTT controls stay)")
    .option("--poll-interval <seconds>", "seconds between reads (default 5)")
    .option("--topic-prefix <prefix>", "first topic level (default accusolar)")
    .option("--log-level <level>", "debug, info, warn or error")
    .option("--log-json", "log JSON lines")
    .action(async (flags: DemoFlags) => {
      const stopped = stopSignal();
      const count = wholeNumber("--count", flags.count, 1, 64);
      const brokerPort = wholeNumber("--port", flags.port, 0, 65_535);
      const wsPort = flags.ws ? wholeNumber("--ws-port", flags.wsPort, 0, 65_535) : null;
      const speed = flags.speed === undefined ? undefined : positive("--speed", flags.speed);
      const { parseHostPort, randomMacBase } = await import("../../emulator/cli-options.js");
      const consoleAt = flags.console === false ? undefined : parseHostPort(flags.console, "--console");
      const names = Array.from({ length: count }, (_, i) => `emu${i + 1}`); // memory:emuN, see below
      // the demo's batteries and broker are its own: the user's BMS_ADDRESS / MQTT_* do not apply here
      const { port: _brokerPort, console: _console, ...configFlags } = flags;
      const base = await configFromCommand(
        { ...configFlags, address: names.map((n) => `memory:${n}`) },
        { env: {} },
      );
      const logger = processLogger(base.log.level, base.log.json, (line) => process.stdout.write(line));
      // only the demo needs the broker (aedes, ws) and the emulator: `run` does not load them
      const [
        { startBroker },
        { startEmulator },
        { linkToBattery },
        { consoleFor, startEmulatorConsole },
        { startMqttControl },
      ] = await Promise.all([
        import("../../broker/broker.js"),
        import("../../emulator/app.js"),
        import("../../emulator/memory-link.js"),
        import("../../emulator/console/start.js"),
        import("../../emulator/console/mqtt-control.js"),
      ]);
      const broker = await startBroker({ port: brokerPort, wsPort, logger: logger.child("broker") });
      const emulator = await startEmulator({
        count,
        faults: [],
        serve: [],
        ...(flags.scenario !== undefined && { scenario: flags.scenario }),
        ...(speed !== undefined && { speed }),
        macBase: randomMacBase(),
      }).catch(async (error: unknown) => {
        await broker.close();
        throw error;
      });
      const config: BridgeConfig = {
        ...base,
        mqtt: {
          ...base.mqtt,
          host: "127.0.0.1",
          port: broker.ports.mqtt,
          url: `mqtt://127.0.0.1:${broker.ports.mqtt}`,
        },
      };
      const memory = new Map(
        emulator.batteries.map((battery, i) => [`emu${i + 1}`, () => linkToBattery(battery)] as const),
      );
      const core = consoleFor(emulator, systemClock);
      const consoleRun = consoleAt
        ? await startEmulatorConsole(emulator, { ...consoleAt, clock: systemClock }, core).catch(
            (error: unknown) => {
              // the console is a convenience: a busy port must not cost the user the demo
              if (isBmsError(error)) return error.message;
              throw error;
            },
          )
        : undefined;
      const control = await startMqttControl(core, {
        url: config.mqtt.url,
        prefix: config.mqtt.topicPrefix,
        logger: logger.child("emu"),
      });
      const consoleLine =
        consoleRun === undefined
          ? "off (--no-console)"
          : typeof consoleRun === "string"
            ? `not started: ${consoleRun} (choose another with --console HOST:PORT)`
            : consoleRun.server.url;
      process.stdout.write(
        banner(broker.urls, count, flags.scenario ?? "default", emulator.speed, config, consoleLine),
      );
      const { startBridge } = await import("../../bridge/bridge.js"); // commands load what they run
      const bridge = await startBridge({
        config,
        logger,
        clock: systemClock,
        version: PACKAGE_VERSION,
        memory,
      });
      logger.info(`${await stopped} received, stopping`);
      await bridge.stop();
      await control.close();
      if (typeof consoleRun === "object") await consoleRun.close();
      await emulator.stop();
      await broker.close();
    });
}

function banner(
  urls: string[],
  count: number,
  scenario: string,
  speed: number,
  config: BridgeConfig,
  consoleLine: string,
): string {
  const port = config.mqtt.port;
  const prefix = config.mqtt.topicPrefix;
  const portFlag = port === 1883 ? "" : ` -p ${port}`;
  return [
    "",
    "bms-bridge demo: no battery and no Mosquitto needed",
    `  broker      ${urls.join("  ")}`,
    `  batteries   ${count} emulated DP04S007L4S200A (scenario ${scenario}, ${speed}× time)`,
    `  watch       mosquitto_sub -h localhost${portFlag} -t '${prefix}/#' -v`,
    `  Accu-Solar  source BMS BRIDGE, broker localhost:${port}`,
    `  console     ${consoleLine}`,
    `  control     mosquitto_pub -h localhost${portFlag} -t '${prefix}/emu/1/set/current_a' -m -50`,
    "  stop        Ctrl-C",
    "",
    "",
  ].join("\n");
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usageError(`${flag}: "${text}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw usageError(`${flag}: "${text}" must be a positive number`);
  return value;
}

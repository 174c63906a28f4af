/**
 * `bms-bridge broker`: the embedded aedes MQTT broker on its own, for machines without Mosquitto. Loopback
 * only unless --host says otherwise (and then a login is required); runs until Ctrl-C.
 */
import type { Command } from "commander";
import { DEFAULT_BROKER_HOSTS, DEFAULT_BROKER_PORT, DEFAULT_BROKER_WS_PORT } from "../../broker/defaults.js";
import { processLogger } from "../config-options.js";
import { usageError } from "../run-cli.js";
import { stopSignal } from "./run.js";

interface BrokerFlags {
  port: string;
  wsPort: string;
  ws: boolean;
  host?: string[];
  username?: string;
  password?: string;
  logJson?: boolean;
}

function portFlag(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw usageError(`broker: ${name} must be a port number 0-65535, got "${value}"`);
  }
  return port;
}

export function registerBroker(program: Command): void {
  program
    .command("broker")
    .description("run the embedded MQTT broker (MQTT 3.1.1; TCP + WebSocket) until Ctrl-C")
    .option("--port <port>", "MQTT TCP port (Accu-Solar connects to 1883)", String(DEFAULT_BROKER_PORT))
    .option("--ws-port <port>", "MQTT over WebSocket port, for browser UIs", String(DEFAULT_BROKER_WS_PORT))
    .option("--no-ws", "no WebSocket listener")
    .option(
      "--host <address...>",
      `addresses to bind (default ${DEFAULT_BROKER_HOSTS.join(" ")}: this machine only)`,
    )
    .option("--username <name>", "require this login (mandatory when binding a non-loopback address)")
    .option("--password <password>", "password for --username")
    .option("--log-json", "log JSON lines instead of text")
    .action(async (flags: BrokerFlags) => {
      const stopped = stopSignal();
      // aedes and ws are loaded only by the commands that run a broker (docs/performance.md)
      const { startBroker } = await import("../../broker/broker.js");
      const logger = processLogger("info", flags.logJson === true, (line) => process.stdout.write(line));
      const broker = await startBroker({
        port: portFlag("--port", flags.port),
        wsPort: flags.ws ? portFlag("--ws-port", flags.wsPort) : null,
        logger,
        ...(flags.host !== undefined && { hosts: flags.host }),
        ...(flags.username !== undefined && { username: flags.username }),
        ...(flags.password !== undefined && { password: flags.password }),
      });
      logger.info(`${await stopped} received, stopping`);
      await broker.close();
      logger.info("broker stopped");
    });
}

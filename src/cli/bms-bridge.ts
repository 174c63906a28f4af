#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1 --expose-gc
// The node flags above are BRIDGE_NODE_FLAGS (src/service/node-flags.ts: why); a test keeps the two equal.
import { Command } from "commander";
import { BRIDGE_COMMANDS } from "./commands/bridge-commands.js";
import { runCli } from "./run-cli.js";
import { PACKAGE_VERSION } from "./version.js";

const program = new Command("bms-bridge")
  .description("JBD battery BMS (BLE, RS485, TCP) to MQTT bridge for Accu-Solar and Home Assistant")
  .version(PACKAGE_VERSION)
  .showHelpAfterError("(run with --help for usage)");
for (const register of BRIDGE_COMMANDS) register(program);

await runCli(program, process.argv);

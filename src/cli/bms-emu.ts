#!/usr/bin/env node
import { Command } from "commander";
import { runCli } from "./run-cli.js";
import { PACKAGE_VERSION } from "./version.js";

const program = new Command("bms-emu")
  .description("Emulates a JBD BMS (DP04S007L4S200A) over BLE, TCP or serial, with scenarios and faults")
  .version(PACKAGE_VERSION);

await runCli(program, process.argv);

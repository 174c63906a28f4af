/** Every `bms-bridge` sub-command registers itself here: one import and one list entry per command. */
import type { Command } from "commander";
import { registerBroker } from "./broker.js";
import { registerDecode } from "./decode.js";
import { registerDemo } from "./demo.js";
import { registerDiscover } from "./discover.js";
import { registerDoctor } from "./doctor.js";
import { registerRun } from "./run.js";
import { registerScan } from "./scan.js";
import { registerService } from "./service.js";
import { registerSetup } from "./setup.js";

export type RegisterCommand = (program: Command) => void;

export const BRIDGE_COMMANDS: RegisterCommand[] = [
  registerRun,
  registerDemo,
  registerScan,
  registerDiscover,
  registerService,
  registerSetup,
  registerDoctor,
  registerDecode,
  registerBroker,
];

/** Every `bms-bridge` sub-command registers itself here: one import and one list entry per command. */
import type { Command } from "commander";
import { registerDecode } from "./decode.js";
import { registerDiscover } from "./discover.js";
import { registerScan } from "./scan.js";

export type RegisterCommand = (program: Command) => void;

export const BRIDGE_COMMANDS: RegisterCommand[] = [registerDecode, registerScan, registerDiscover];

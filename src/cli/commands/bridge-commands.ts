/** Every `bms-bridge` sub-command registers itself here: one import and one list entry per command. */
import type { Command } from "commander";
import { registerDecode } from "./decode.js";

export type RegisterCommand = (program: Command) => void;

export const BRIDGE_COMMANDS: RegisterCommand[] = [registerDecode];

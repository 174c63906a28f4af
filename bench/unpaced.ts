/**
 * The bench measures the bridge, so its emulated gateways answer at once: the 9600-baud line time the
 * emulator adds by default (~43 ms for a 0x03 reply, ~58 ms a poll; docs/cli-emu.md "What it answers")
 * would otherwise be counted in every latency, start-up and cycle figure, and figures from before the
 * emulator paced its replies would no longer compare.
 */
import type { WirePacing } from "../src/emulator/behaviors/media.js";

export const UNPACED: WirePacing = { msPerByte: 0 };

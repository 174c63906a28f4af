/**
 * bms-emu's body: flags → EmulatorAppOptions → startEmulator, then the live status until a stop signal.
 * The process-facing parts (stdout, signals) arrive in `io` so this stays testable.
 */

import { startEmulator } from "../emulator/app.js";
import {
  parseCount,
  parseFault,
  parseHostPort,
  parseMacList,
  parsePositiveNumber,
  parseSeed,
  randomMacBase,
} from "../emulator/cli-options.js";
import { DEFAULT_CONSOLE } from "../emulator/console/defaults.js";
import { startEmulatorConsole } from "../emulator/console/start.js";
import { listScenarios } from "../emulator/scenario-files.js";
import type { ServeRequest } from "../emulator/serve.js";
import { formatStatusLine } from "../emulator/status-line.js";
import { BmsError, isBmsError } from "../errors.js";
import { createLogger, formatTextRecord } from "../log/logger.js";
import { parseHciList } from "../transport/hci.js";
import { systemClock } from "../util/clock.js";
import { usageError } from "./run-cli.js";

export interface EmuFlags {
  listScenarios?: boolean;
  scenario?: string;
  scenarioFile?: string;
  replay?: string;
  speed?: string;
  seed?: string;
  count: string;
  tcp?: string;
  serial: string[];
  /** Comma-separated HCI selections, one controller per battery (native, native:N, uart:/path). */
  hci?: string;
  fault: string[];
  quiet?: boolean;
  /** Comma-separated MACs, battery 1 first. */
  mac?: string;
  /** `--console [HOST:PORT]`: true when given without a value (the default address). */
  console?: string | boolean;
}

export interface EmuIo {
  stdout: { write(text: string): unknown };
  isTty: boolean;
  waitForStop(): Promise<void>;
  /** Where the default MACs start (tests fix it; default: drawn per process). */
  macBase?: number;
}

/** The batteries are synced (and, on a terminal, redrawn in place) every second; logs get lines every 5 s. */
const TTY_REFRESH_MS = 1000;
const LOG_EVERY_MS = 5000;

async function printScenarios(io: EmuIo): Promise<void> {
  for (const s of await listScenarios()) {
    const summary = s.description.split(/(?<=\.)\s/)[0] ?? "";
    io.stdout.write(`${s.name.padEnd(14)} ${summary}\n`);
  }
}

function serveRequests(flags: EmuFlags): ServeRequest[] {
  const requests: ServeRequest[] = [];
  if (flags.tcp !== undefined) requests.push({ kind: "tcp", ...parseHostPort(flags.tcp) });
  if (flags.serial.length > 0) requests.push({ kind: "serial", paths: flags.serial });
  if (flags.hci !== undefined) {
    const parsed = parseHciList(flags.hci);
    if (!parsed.ok) throw usageError(`--hci: ${parsed.problem}`);
    requests.push({ kind: "ble", hcis: parsed.hcis });
  }
  if (requests.length === 0)
    throw usageError("nothing to serve on: give --tcp HOST:PORT, --serial PATH or --hci native");
  return requests;
}

export async function runEmu(flags: EmuFlags, io: EmuIo): Promise<void> {
  if (flags.listScenarios) return printScenarios(io);
  if (flags.scenario !== undefined && flags.scenarioFile !== undefined)
    throw usageError("give either --scenario or --scenario-file, not both");
  const count = parseCount(flags.count);
  const options: Parameters<typeof startEmulator>[0] = {
    count,
    faults: flags.fault.map(parseFault),
    serve: serveRequests(flags),
    // a BLE battery's adapter going away and coming back is worth a line (nothing else logs)
    logger: createLogger({
      level: "info",
      sink: (record) => io.stdout.write(`${formatTextRecord(record)}\n`),
    }),
  };
  if (flags.serial.length > count)
    throw usageError(`${flags.serial.length} --serial paths for ${count} batteries`);
  const hciCount = flags.hci?.split(",").length ?? 0;
  if (hciCount > count) throw usageError(`${hciCount} --hci controllers for ${count} batteries`);
  if (flags.scenario !== undefined) options.scenario = flags.scenario;
  if (flags.scenarioFile !== undefined) options.scenarioFile = flags.scenarioFile;
  if (flags.replay !== undefined) options.replay = flags.replay;
  if (flags.speed !== undefined) options.speed = parsePositiveNumber("--speed", flags.speed);
  if (flags.seed !== undefined) options.seed = parseSeed(flags.seed);
  if (flags.mac !== undefined) options.macs = parseMacList(flags.mac, count);
  options.macBase = io.macBase ?? randomMacBase();

  const emulator = await startEmulator(options);
  const name = emulator.scenario?.name ?? "default profile";
  io.stdout.write(`bms-emu: ${count} battery(ies), scenario ${name}, speed ${emulator.speed}x\n`);
  emulator.batteries.forEach((battery, i) => {
    const where = emulator.served.endpoints[i]?.map((e) => e.description).join(", ") || "not served";
    io.stdout.write(`bms-emu: #${i + 1} ${battery.address} ${battery.profile.bleName} serving ${where}\n`);
  });
  const consoleAt = consoleAddress(flags.console);
  const running = consoleAt
    ? await startEmulatorConsole(emulator, { ...consoleAt, clock: systemClock }).catch(async (error) => {
        await emulator.stop();
        if (isBmsError(error, "PORT_IN_USE"))
          throw new BmsError("PORT_IN_USE", `${error.message}: choose another with --console HOST:PORT`);
        throw error;
      })
    : undefined;
  if (running) {
    io.stdout.write(`bms-emu: console ${running.server.url}\n`);
    if (running.server.token)
      io.stdout.write(
        `bms-emu: console token ${running.server.token} (not loopback: send it as ?token=, X-Console-Token or Authorization: Bearer)\n`,
      );
  }
  const stopStatus = flags.quiet ? () => {} : startStatus(emulator, io);
  await io.waitForStop();
  stopStatus();
  await running?.close();
  await emulator.stop();
  io.stdout.write("bms-emu: stopped\n");
}

function consoleAddress(flag: string | boolean | undefined): { host: string; port: number } | undefined {
  if (flag === undefined || flag === false) return undefined;
  if (flag === true) return { ...DEFAULT_CONSOLE };
  return parseHostPort(flag, "--console");
}

function startStatus(emulator: Awaited<ReturnType<typeof startEmulator>>, io: EmuIo): () => void {
  const lines = () =>
    emulator.batteries.map((b, i) => formatStatusLine(i, b, emulator.served.endpoints[i] ?? []));
  let printed = 0;
  let lastLog = 0;
  const tick = () => {
    const now = Date.now();
    if (io.isTty) {
      // Move the cursor back over the previous block and redraw it (ANSI CPL + EL).
      const up = printed > 0 ? `\x1b[${printed}F` : "";
      const text = lines().map((l) => `\x1b[2K${l}`);
      io.stdout.write(`${up}${text.join("\n")}\n`);
      printed = text.length;
    } else if (now - lastLog >= LOG_EVERY_MS) {
      io.stdout.write(`${lines().join("\n")}\n`);
      lastLog = now;
    } else {
      for (const battery of emulator.batteries) battery.sync();
    }
  };
  tick();
  const timer = setInterval(tick, TTY_REFRESH_MS);
  return () => clearInterval(timer);
}

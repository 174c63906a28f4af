/**
 * `bms-bridge setup`, the interactive part (setup-bms-bridge.ps1 of the original Python bridge, for every platform):
 * scan → pick batteries (or type an address) → broker (tested) → read each battery once → write the
 * config file → offer `service install`. Streams and every effect (scan, read, broker test, files) are
 * injected, so tests drive the whole conversation with strings. `--yes` takes every default and never
 * prompts; a choice that has no safe default (overwriting a file, no battery found) then fails with exit 2.
 */
import { createInterface, type Interface } from "node:readline/promises";
import { formatValues, publishLogLine } from "../../bridge/publish/format.js";
import { valuesFromReading } from "../../bridge/state/battery-values.js";
import { BmsError, toBmsError } from "../../errors.js";
import type { BasicInfo } from "../../protocol/registers/basic-info.js";
import type { CellVoltages } from "../../protocol/registers/cell-voltages.js";
import type { ScannedDevice, ScanProgress } from "../../transport/ble/scan.js";
import { formatScanLines } from "../ble-format.js";
import {
  configFileText,
  DEFAULT_BROKER,
  parseBroker,
  parseSelection,
  type SetupChoices,
} from "./setup-choices.js";

export interface BatteryReadout {
  basic: BasicInfo;
  cells: CellVoltages;
  model?: string;
}

export type BrokerTest = { ok: true; ms: number } | { ok: false; reason: string };

/** Every effect of the wizard (src/cli/commands/setup.ts gives the real ones). */
export interface SetupDeps {
  scan(hci: string, seconds: number, onProgress: (progress: ScanProgress) => void): Promise<ScannedDevice[]>;
  readOnce(address: string, hci: string): Promise<BatteryReadout>;
  testBroker(url: string): Promise<BrokerTest>;
  exists(path: string): Promise<boolean>;
  writeFile(path: string, text: string): Promise<void>;
  /** Runs `bms-bridge service install --config <path>`; resolves when it finished. */
  installService(configPath: string): Promise<void>;
  /** Absolute form of a path (for the printed commands). */
  absolute(path: string): string;
  now(): Date;
  version: string;
}

export interface SetupFlags {
  yes: boolean;
  address: string[];
  broker?: string;
  hci: string;
  output: string;
  scanSeconds: number;
}

export interface SetupIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

export interface SetupResult {
  path: string;
  choices: SetupChoices;
  text: string;
}

class Prompter {
  readonly #rl: Interface | undefined;
  readonly #out: NodeJS.WritableStream;
  readonly #closed = new AbortController();

  constructor(io: SetupIo, yes: boolean) {
    this.#out = io.output;
    if (!yes) {
      this.#rl = createInterface({ input: io.input, output: io.output, terminal: false });
      this.#rl.on("close", () => this.#closed.abort());
    }
  }

  say(line = ""): void {
    this.#out.write(`${line}\n`);
  }

  write(text: string): void {
    this.#out.write(text);
  }

  /** The answer, or `fallback` for an empty one; with --yes the fallback without asking. */
  async ask(question: string, fallback: string): Promise<string> {
    if (!this.#rl) {
      this.say(`${question} ${fallback || "(none)"}  [--yes]`);
      return fallback;
    }
    try {
      const answer = (await this.#rl.question(`${question} `, { signal: this.#closed.signal })).trim();
      return answer === "" ? fallback : answer;
    } catch {
      throw new BmsError("USAGE", "setup: the input ended before every question was answered");
    }
  }

  async confirm(question: string, fallback: boolean): Promise<boolean> {
    const answer = await this.ask(`${question} [${fallback ? "Y/n" : "y/N"}]`, fallback ? "y" : "n");
    return /^y(es)?$/i.test(answer);
  }

  close(): void {
    this.#rl?.close();
  }
}

export async function runSetup(flags: SetupFlags, io: SetupIo, deps: SetupDeps): Promise<SetupResult> {
  const p = new Prompter(io, flags.yes);
  try {
    p.say(`bms-bridge setup ${deps.version}: batteries → MQTT broker → ${flags.output}`);
    const addresses = flags.address.length > 0 ? flags.address : await chooseBatteries(p, flags, deps);
    const broker = await chooseBroker(p, flags, deps);
    const kept = await readEach(p, addresses, flags, deps);
    const choices: SetupChoices = {
      addresses: kept,
      broker,
      hci: flags.hci,
      writtenAt: deps.now(),
      version: deps.version,
    };
    const text = configFileText(choices);
    const path = await chooseOutput(p, flags, deps);
    await deps.writeFile(path, text);
    p.say(`Wrote ${deps.absolute(path)}.`);
    await offerService(p, deps.absolute(path), deps);
    return { path, choices, text };
  } finally {
    p.close();
  }
}

async function chooseBatteries(p: Prompter, flags: SetupFlags, deps: SetupDeps): Promise<string[]> {
  const devices = await scanOrExplain(p, flags, deps);
  const jbd = devices.filter((d) => d.verdict.likelyJbd);
  if (jbd.length === 0) {
    if (flags.yes) throw new BmsError("USAGE", "setup: no battery found; give one with --address");
    return [await askAddress(p)];
  }
  const lines = formatScanLines(jbd, { all: false });
  p.say(`Found ${jbd.length} battery(ies), strongest signal first:`);
  for (const [i, line] of lines.entries()) p.say(`  ${String(i + 1).padStart(2)}) ${line}`);
  for (;;) {
    const answer = await p.ask(
      'Which batteries? Numbers like "1,3", "all", or type an address (serial:/dev/ttyUSB0, tcp:host:port) [1]:',
      "1",
    );
    const selection = parseSelection(answer, jbd.length);
    if (!selection.ok) {
      if (flags.yes) throw new BmsError("USAGE", `setup: ${selection.problem}`);
      p.say(`  ${selection.problem}; try again.`);
      continue;
    }
    if ("address" in selection) return [selection.address];
    return selection.indices.map((i) => (jbd[i] as ScannedDevice).address);
  }
}

async function scanOrExplain(p: Prompter, flags: SetupFlags, deps: SetupDeps): Promise<ScannedDevice[]> {
  p.say(`Scanning for JBD batteries over Bluetooth (${flags.hci}) for ${flags.scanSeconds} s…`);
  try {
    const devices = await deps.scan(flags.hci, flags.scanSeconds, ({ elapsedMs, found }) => {
      const left = Math.max(0, Math.ceil(flags.scanSeconds - elapsedMs / 1000));
      p.write(`\r  ${found} device(s) seen, ${left} s left `);
    });
    p.write("\r\x1b[K");
    return devices;
  } catch (error) {
    p.say(`\nBluetooth is not available here: ${toBmsError(error).message}`);
    p.say("You can still enter a serial (RS485) or TCP gateway address by hand.");
    return [];
  }
}

async function askAddress(p: Prompter): Promise<string> {
  for (;;) {
    const answer = await p.ask("Battery address (MAC, serial:/dev/ttyUSB0, tcp:host:port):", "");
    const selection = parseSelection(answer, 0);
    if (selection.ok && "address" in selection) return selection.address;
    p.say(`  ${selection.ok ? "an address is needed" : selection.problem}; try again.`);
  }
}

async function chooseBroker(p: Prompter, flags: SetupFlags, deps: SetupDeps) {
  let given = flags.broker;
  for (;;) {
    const answer =
      given ?? (await p.ask(`MQTT broker (host[:port] or URL) [${DEFAULT_BROKER}]:`, DEFAULT_BROKER));
    given = undefined;
    const broker = parseBroker(answer);
    if (!broker.ok) {
      if (flags.yes) throw new BmsError("USAGE", `setup: --broker: ${broker.problem}`);
      p.say(`  ${broker.problem}; try again.`);
      continue;
    }
    p.write(`Testing the MQTT broker at ${broker.url}… `);
    const test = await deps.testBroker(broker.url);
    if (test.ok) {
      p.say(`OK (connected in ${test.ms} ms).`);
      return broker;
    }
    p.say(`FAILED: ${test.reason}.`);
    if (await p.confirm("Keep this broker anyway (the bridge retries until it is reachable)?", flags.yes))
      return broker;
  }
}

async function readEach(
  p: Prompter,
  addresses: string[],
  flags: SetupFlags,
  deps: SetupDeps,
): Promise<string[]> {
  const kept: string[] = [];
  for (const address of addresses) {
    p.write(`Reading ${address}… `);
    try {
      const readout = await deps.readOnce(address, flags.hci);
      p.say(readout.model ? `(${readout.model})` : "");
      for (const line of readoutLines(readout)) p.say(`  ${line}`);
      kept.push(address);
    } catch (error) {
      p.say(`could not read it: ${toBmsError(error).message}`);
      if (await p.confirm(`Keep ${address} in the configuration anyway?`, true)) kept.push(address);
    }
  }
  if (kept.length === 0) throw new BmsError("USAGE", "setup: no battery left to configure");
  return kept;
}

/** The original Python bridge's log line (`13.45V | 9.93A | SoC 71% | …`) and the cells. */
export function readoutLines(readout: BatteryReadout): string[] {
  const cells = readout.cells.cellsMv;
  const spread = cells.length > 0 ? Math.max(...cells) - Math.min(...cells) : 0;
  return [
    telemetryLine(readout),
    `cells ${cells.map((mv) => (mv / 1000).toFixed(3)).join(" ")} V (spread ${spread} mV)`,
  ];
}

function telemetryLine(readout: BatteryReadout): string {
  const reading = {
    batteryId: "setup",
    address: "",
    seq: 1,
    time: 0,
    basic: readout.basic,
    cells: readout.cells,
  };
  return publishLogLine(formatValues(valuesFromReading(reading))).replace(/^Published → /, "");
}

async function chooseOutput(p: Prompter, flags: SetupFlags, deps: SetupDeps): Promise<string> {
  let path = flags.output;
  for (;;) {
    if (!(await deps.exists(path))) return path;
    if (flags.yes)
      throw new BmsError(
        "USAGE",
        `setup: ${path} exists; remove it or choose another file with --output (--yes never overwrites)`,
      );
    if (await p.confirm(`${path} exists. Overwrite it?`, false)) return path;
    path = await p.ask("Write the configuration to which file instead?", path);
  }
}

async function offerService(p: Prompter, configPath: string, deps: SetupDeps): Promise<void> {
  const command = `bms-bridge service install --config ${configPath}`;
  p.say(`Run it now with: bms-bridge run --config ${configPath}`);
  if (await p.confirm("Install it as a service that starts at boot (needs root)?", false)) {
    await deps.installService(configPath);
    return;
  }
  p.say(`To install the service later: ${command}`);
}

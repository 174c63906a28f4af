#!/usr/bin/env node
/**
 * `npm run vble -- start [N] | stop | status | unplug | replug | freeze | thaw | radio`: a virtual BLE lab
 * for people (tests start their own, test/support/vble.ts). Installed, the same commands are `bms-vble …`.
 *
 * `start` launches a detached holder process that owns the lab (and its host-wide lock) until `stop`;
 * the holder records its PID and the pty paths in a state file in the per-user cache directory, and takes
 * the fault commands on a control socket (control.ts).
 */
import { spawn } from "node:child_process";
import { openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ControlRequest, sendControl, serveControl } from "./control.js";
import { labCacheDir, startLab } from "./lab.js";
import { probeLock } from "./lock.js";
import type { RadioModel } from "./radio.js";
import type { EndpointState } from "./relay.js";

const STATE_FILE = join(labCacheDir(), "state.json");
const LOG_FILE = join(labCacheDir(), "holder.log");
const START_WAIT_MS = 75_000;

interface HolderState {
  pid: number;
  ptys?: string[];
  error?: string;
}

function readState(): HolderState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, "utf8")) as HolderState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function hold(endpoints: number): Promise<void> {
  try {
    const lab = await startLab({ endpoints, purpose: "npm run vble", lockWaitMs: 60_000 });
    const control = await serveControl(lab);
    writeFileSync(STATE_FILE, JSON.stringify({ pid: process.pid, ptys: lab.ptys }));
    const keepAlive = setInterval(() => {}, 60_000);
    const shutdown = async () => {
      clearInterval(keepAlive);
      control.close();
      await lab.stop();
      rmSync(STATE_FILE, { force: true });
      process.exit(0);
    };
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
      process.once(signal, () => void shutdown());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    writeFileSync(STATE_FILE, JSON.stringify({ pid: process.pid, error: message }));
    process.exitCode = 1;
  }
}

async function start(endpoints: number): Promise<void> {
  const existing = readState();
  if (existing?.ptys && alive(existing.pid)) {
    printPtys(existing.ptys, "already running");
    return;
  }
  rmSync(STATE_FILE, { force: true });
  const log = openSync(LOG_FILE, "w");
  const self = fileURLToPath(import.meta.url);
  // execArgv carries tsx's loader, so the holder runs this same TypeScript file
  const child = spawn(process.execPath, [...process.execArgv, self, "hold", String(endpoints)], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    const state = readState();
    if (state?.ptys) return printPtys(state.ptys, `started (holder pid ${state.pid})`);
    if (state?.error) throw new Error(state.error);
    if (child.exitCode !== null) throw new Error(`the lab holder exited early; see ${LOG_FILE}`);
    if (Date.now() > deadline) throw new Error(`the lab did not start within ${START_WAIT_MS} ms`);
    await sleep(100);
  }
}

function printPtys(ptys: string[], what: string): void {
  process.stdout.write(`virtual BLE lab ${what}: ${ptys.length} controllers\n`);
  ptys.forEach((pty, i) => {
    process.stdout.write(`  endpoint ${i}: --hci uart:${pty}\n`);
  });
  process.stdout.write(`stop it with: ${invokedAs()} stop\n`);
}

/** How the user started this: from a checkout (TypeScript through tsx) or the installed `bms-vble`. */
function invokedAs(): string {
  return fileURLToPath(import.meta.url).endsWith(".ts") ? "npm run vble --" : "bms-vble";
}

async function stop(): Promise<void> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    rmSync(STATE_FILE, { force: true });
    process.stdout.write("no virtual BLE lab of yours is running\n");
    return;
  }
  process.kill(state.pid, "SIGTERM");
  const deadline = Date.now() + 5000;
  while (alive(state.pid) && Date.now() < deadline) await sleep(50);
  if (alive(state.pid)) process.kill(state.pid, "SIGKILL");
  rmSync(STATE_FILE, { force: true });
  process.stdout.write("virtual BLE lab stopped\n");
}

async function status(): Promise<void> {
  const holder = await probeLock();
  const state = readState();
  if (!holder) {
    process.stdout.write("no virtual BLE lab is running on this host\n");
    return;
  }
  process.stdout.write(`a virtual BLE lab is running, held by ${holder}\n`);
  if (state?.ptys && alive(state.pid)) {
    printPtys(state.ptys, "(yours)");
    await control({ op: "state", endpoint: 0 });
  }
}

function describeState(state: EndpointState): string {
  const parts = [state.plugged ? "plugged in" : "UNPLUGGED"];
  if (state.frozen) parts.push(state.untilReset ? "FROZEN until the host resets it" : "FROZEN");
  const radio = state.radio;
  parts.push(
    radio
      ? `radio: interval ${radio.intervalMs} ms, advertising ${radio.advertisingIntervalMs} ms, loss ${radio.loss * 100} %, RSSI ${radio.rssiDbm} dBm`
      : "no radio model (instant)",
  );
  return parts.join(", ");
}

async function control(request: ControlRequest): Promise<void> {
  const reply = await sendControl(request);
  if (!reply.ok) throw new Error(reply.error);
  reply.states.forEach((state, i) => {
    process.stdout.write(`  endpoint ${i}: ${describeState(state)}\n`);
  });
}

/** `--name value` pairs after the positional words. */
function flagValues(args: string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (!word.startsWith("--")) continue;
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      flags.set(word.slice(2), next);
      i++;
    } else flags.set(word.slice(2), true);
  }
  return flags;
}

function numberFlag(flags: Map<string, string | true>, name: string): number | undefined {
  const value = flags.get(name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value === true || !Number.isFinite(number)) throw new Error(`--${name} needs a number`);
  return number;
}

function radioModel(args: string[]): Partial<RadioModel> | "off" {
  if (args.includes("off")) return "off";
  const flags = flagValues(args);
  const model: Partial<RadioModel> = {};
  const fields: Array<[string, keyof RadioModel, number]> = [
    ["interval", "intervalMs", 1],
    ["adv", "advertisingIntervalMs", 1],
    ["loss", "loss", 0.01],
    ["rssi", "rssiDbm", 1],
  ];
  for (const [flag, key, scale] of fields) {
    const value = numberFlag(flags, flag);
    if (value !== undefined) model[key] = value * scale;
  }
  return model;
}

async function faultCommand(command: string, args: string[], endpoints: number[]): Promise<void> {
  const flags = flagValues(args);
  for (const endpoint of endpoints) {
    if (command === "freeze") await control({ op: "freeze", endpoint, untilReset: flags.has("until-reset") });
    else if (command === "radio") await control({ op: "radio", endpoint, model: radioModel(args) });
    else await control({ op: command as "unplug" | "replug" | "thaw", endpoint });
  }
  const forSeconds = numberFlag(flags, "for");
  if (command !== "unplug" || forSeconds === undefined) return;
  process.stdout.write(`replugging in ${forSeconds} s\n`);
  await sleep(forSeconds * 1000);
  for (const endpoint of endpoints) await control({ op: "replug", endpoint });
}

const USAGE =
  "start [N] | stop | status | unplug E [--for S] | replug E | freeze E [--until-reset] | thaw E | " +
  "radio E|all [off] [--interval MS] [--adv MS] [--loss PCT] [--rssi DBM]";

async function main(argv: string[]): Promise<void> {
  const [command = "status", ...rest] = argv;
  if (["unplug", "replug", "freeze", "thaw", "radio"].includes(command)) {
    const target = rest[0];
    const state = readState();
    const count = state?.ptys?.length ?? 0;
    const endpoints =
      target === "all"
        ? Array.from({ length: count }, (_, i) => i)
        : target === undefined
          ? []
          : [Number(target)];
    if (endpoints.length === 0 || endpoints.some((e) => !Number.isInteger(e) || e < 0 || e >= count)) {
      throw new Error(
        `${command}: give an endpoint number 0-${count - 1}${command === "radio" ? " or all" : ""}`,
      );
    }
    return faultCommand(command, rest.slice(1), endpoints);
  }
  const count = rest[0];
  const endpoints = count === undefined ? 3 : Number(count);
  if (!Number.isInteger(endpoints) || endpoints < 1 || endpoints > 32) {
    throw new Error(`"${count}" is not an endpoint count (1-32)`);
  }
  const commands: Record<string, () => Promise<void>> = {
    start: () => start(endpoints),
    hold: () => hold(endpoints),
    stop,
    status,
  };
  const run = commands[command];
  if (!run) throw new Error(`unknown command "${command}" (${USAGE})`);
  await run();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`vble: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

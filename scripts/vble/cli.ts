/**
 * `npm run vble -- start [N] | stop | status`: a virtual BLE lab for people (tests start their own).
 *
 * `start` launches a detached holder process that owns the lab (and its host-wide lock) until `stop`;
 * the holder records its PID and the pty paths in a state file in the per-user cache directory.
 */
import { spawn } from "node:child_process";
import { openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labCacheDir, startLab } from "./lab.js";
import { probeLock } from "./lock.js";

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
    writeFileSync(STATE_FILE, JSON.stringify({ pid: process.pid, ptys: lab.ptys }));
    const keepAlive = setInterval(() => {}, 60_000);
    const shutdown = async () => {
      clearInterval(keepAlive);
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
  process.stdout.write("stop it with: npm run vble -- stop\n");
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
  if (state?.ptys && alive(state.pid)) printPtys(state.ptys, "(yours)");
}

async function main(argv: string[]): Promise<void> {
  const [command = "status", count] = argv;
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
  if (!run) throw new Error(`unknown command "${command}" (start [N] | stop | status)`);
  await run();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`vble: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

/**
 * The virtual BLE lab: BlueZ's controller emulator (`btvirt -s -l0`) plus one socat pty per endpoint, so a
 * real noble central and real bleno peripherals talk HCI over UART with no radio (docs/virtual-ble.md).
 *
 * Every endpoint is its own emulated LE controller (address 00:AA:01:00:00:xx); use `uart:<pty>` as the
 * HCI selection. Known limit of btvirt: a central holding two links AT ONCE hangs on the second link's
 * GATT discovery, so test multi-battery code in rotation (connect, read, disconnect) only.
 *
 * Importable by tests and the bench; `npm run vble` wraps it for people.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLabLock, type HeldLock } from "./lock.js";

/** btvirt's socket-server paths: fixed, hence the host-wide lock. */
export const BTVIRT_LE_SOCKET = "/tmp/bt-server-le";
const BTVIRT_SOCKETS = ["le", "bredrle", "bredr", "amp", "mon"].map((kind) => `/tmp/bt-server-${kind}`);
const REQUIRED_TOOLS = ["btvirt", "socat", "cc"] as const;
const SHIM_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "af-alg-shim.c");
const STEP_TIMEOUT_MS = 5000;
/** The running lab's PIDs, so the next lab can clean up after an owner that crashed. */
const PIDS_FILE = "/tmp/bms-vble.pids";

export interface LabOptions {
  /** How many controllers (ptys) to create: one for the central plus one per emulated battery. */
  endpoints: number;
  /** How long to wait for another lab on this host to finish before giving up. */
  lockWaitMs?: number;
  /** Who holds the lab, shown to anyone who has to wait for it. */
  purpose?: string;
  /** Told once when another lab holds the lock and we wait for it. */
  onWait?: (holder: string) => void;
}

export interface Lab {
  /** One pty per endpoint; pass `uart:<path>` to noble/bleno. */
  readonly ptys: readonly string[];
  readonly pids: { readonly btvirt: number; readonly socats: readonly number[] };
  readonly dir: string;
  /** Kills every process by PID and removes the sockets and ptys. Idempotent. */
  stop(): Promise<void>;
}

/** A per-user scratch directory (compiled shim, pty links, CLI state). */
export function labCacheDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  const dir = join(tmpdir(), `bms-vble-${uid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function which(tool: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", `command -v ${tool}`], (error) => resolve(!error));
  });
}

/** Why the lab cannot run here, or undefined when btvirt, socat and cc are all present. */
export async function labUnavailableReason(): Promise<string | undefined> {
  const present = await Promise.all(REQUIRED_TOOLS.map(which));
  const missing = REQUIRED_TOOLS.filter((_, i) => !present[i]);
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(", ")} (Debian: apt-get install bluez-test-tools socat gcc libc6-dev; see scripts/setup-test-env.sh)`;
}

/** Compiles the AF_ALG shim once per source version; atomic rename so concurrent builds cannot collide. */
export async function buildShim(cacheDir = labCacheDir()): Promise<string> {
  const source = readFileSync(SHIM_SOURCE);
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 12);
  const target = join(cacheDir, `af-alg-shim-${hash}.so`);
  if (existsSync(target)) return target;
  const temp = `${target}.${process.pid}.tmp`;
  await new Promise<void>((resolve, reject) => {
    execFile("cc", ["-shared", "-fPIC", "-o", temp, SHIM_SOURCE, "-ldl"], (error, _out, stderr) =>
      error ? reject(new Error(`compiling the AF_ALG shim failed: ${stderr || error.message}`)) : resolve(),
    );
  });
  renameSync(temp, target);
  return target;
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(`virtual BLE lab: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * btvirt never removes its socket files. Left over with nothing answering, they are stale; answering
 * while we hold the lock means a btvirt started outside this tool, which we must not disturb.
 */
async function clearStaleBtvirt(): Promise<void> {
  if (!existsSync(BTVIRT_LE_SOCKET)) return;
  if (await socketAnswers(BTVIRT_LE_SOCKET)) await killOrphanedLab().catch(() => {});
  if (await socketAnswers(BTVIRT_LE_SOCKET)) {
    throw new Error(`${BTVIRT_LE_SOCKET} is served by a btvirt this tool did not start; stop it first`);
  }
  for (const path of BTVIRT_SOCKETS) rmSync(path, { force: true });
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("exit", () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function startChild(command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { stdio: "ignore", env: env ?? process.env });
  child.on("error", () => {}); // a failed start shows up as a timed-out wait below
  return child;
}

function isAlive(pid: number, command: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === command;
  } catch {
    return false;
  }
}

/**
 * Kills the processes of a lab whose owner died without stopping it (we hold the lock, so nobody else
 * owns them). Only PIDs we recorded ourselves, and only while they still run the expected program.
 */
async function killOrphanedLab(): Promise<void> {
  let recorded: { btvirt: number; socats: number[] };
  try {
    recorded = JSON.parse(readFileSync(PIDS_FILE, "utf8"));
  } catch {
    return;
  }
  for (const pid of recorded.socats) if (isAlive(pid, "socat")) process.kill(pid, "SIGTERM");
  if (isAlive(recorded.btvirt, "btvirt")) process.kill(recorded.btvirt, "SIGTERM");
  await waitFor("an orphaned btvirt to exit", async () => !(await socketAnswers(BTVIRT_LE_SOCKET)), 3000);
  rmSync(PIDS_FILE, { force: true });
}

/** Starts a lab with `endpoints` controllers; waits (bounded) if another lab holds the host. */
export async function startLab(options: LabOptions): Promise<Lab> {
  const unavailable = await labUnavailableReason();
  if (unavailable) throw new Error(`virtual BLE lab unavailable: ${unavailable}`);
  const shim = await buildShim();
  const description = `pid ${process.pid} (${options.purpose ?? "a virtual BLE lab"})`;
  const lock = await acquireLabLock({
    description,
    waitMs: options.lockWaitMs ?? 60_000,
    ...(options.onWait ? { onWait: options.onWait } : {}),
  });
  const children: ChildProcess[] = [];
  const dir = join(labCacheDir(), `lab-${process.pid}-${Date.now()}`);
  try {
    return await launch(options.endpoints, shim, dir, lock, children);
  } catch (error) {
    await Promise.all(children.map(killAndWait));
    cleanupFiles(dir);
    await lock.release();
    throw error;
  }
}

function cleanupFiles(dir: string): void {
  for (const path of BTVIRT_SOCKETS) rmSync(path, { force: true });
  rmSync(dir, { recursive: true, force: true });
}

/** Removes pty directories of labs whose owner process is gone (a crash skips stop()). */
function removeDeadLabDirs(cacheDir: string): void {
  for (const entry of readdirSync(cacheDir)) {
    const owner = /^lab-(\d+)-/.exec(entry)?.[1];
    if (owner === undefined) continue;
    try {
      process.kill(Number(owner), 0);
    } catch {
      rmSync(join(cacheDir, entry), { recursive: true, force: true });
    }
  }
}

async function launch(
  endpoints: number,
  shim: string,
  dir: string,
  lock: HeldLock,
  children: ChildProcess[],
): Promise<Lab> {
  await clearStaleBtvirt();
  removeDeadLabDirs(dirname(dir));
  mkdirSync(dir, { recursive: true });
  const btvirt = startChild("btvirt", ["-s", "-l0"], { ...process.env, LD_PRELOAD: shim });
  children.push(btvirt);
  await waitFor("btvirt to listen", () => socketAnswers(BTVIRT_LE_SOCKET), STEP_TIMEOUT_MS);
  const ptys: string[] = [];
  for (let i = 0; i < endpoints; i++) {
    // One at a time: btvirt numbers controllers in connection order, so pty i is controller i.
    const pty = join(dir, `hci-${i}`);
    const socat = startChild("socat", [`PTY,link=${pty},raw,echo=0`, `UNIX-CONNECT:${BTVIRT_LE_SOCKET}`]);
    children.push(socat);
    await waitFor(`socat pty ${pty}`, () => existsSync(pty) || socat.exitCode !== null, STEP_TIMEOUT_MS);
    if (socat.exitCode !== null || btvirt.exitCode !== null) {
      throw new Error(`virtual BLE lab: endpoint ${i} failed to start (btvirt or socat exited)`);
    }
    ptys.push(pty);
  }
  const pids = { btvirt: btvirt.pid ?? -1, socats: children.slice(1).map((c) => c.pid ?? -1) };
  writeFileSync(PIDS_FILE, JSON.stringify(pids));
  // If our owner exits without stop(), take the processes down with it (synchronous: 'exit' allows no I/O wait).
  const onExit = () => {
    for (const child of children) child.kill("SIGTERM");
  };
  process.once("exit", onExit);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      process.removeListener("exit", onExit);
      // socats first, so btvirt sees its clients leave before it goes
      await Promise.all(children.slice(1).map(killAndWait));
      await killAndWait(btvirt);
      cleanupFiles(dir);
      rmSync(PIDS_FILE, { force: true });
      await lock.release();
    })();
    return stopped;
  };
  return {
    ptys,
    pids,
    dir,
    stop,
  };
}

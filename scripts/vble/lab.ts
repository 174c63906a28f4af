/**
 * The virtual BLE lab: BlueZ's controller emulator (`btvirt -s -l0`) plus one socat pty per endpoint, so a
 * real noble central and real bleno peripherals talk HCI over UART with no radio (docs/cli-ble.md). Between
 * each pty and its controller sits a relay (relay.ts) through which the lab injects the faults the field
 * has: unplug/replug, a frozen controller, and a radio model (latency, loss, RSSI).
 *
 * Every endpoint is its own emulated LE controller (address 00:AA:01:00:00:xx); use `uart:<pty>` as the
 * HCI selection. Known limit of btvirt: a central holding two links AT ONCE hangs on the second link's
 * GATT discovery, so test multi-battery code in rotation (connect, read, disconnect) only.
 *
 * Importable by tests and the bench; `npm run vble` wraps it for people.
 */
import { type ChildProcess, execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { killAndWait, LabEndpoint, startChild, waitFor } from "./endpoint.js";
import { acquireLabLock, type HeldLock } from "./lock.js";
import type { RadioModel } from "./radio.js";
import type { EndpointState, FreezeOptions } from "./relay.js";

/** btvirt's socket-server paths: fixed, hence the host-wide lock. */
export const BTVIRT_LE_SOCKET = "/tmp/bt-server-le";
const BTVIRT_SOCKETS = ["le", "bredrle", "bredr", "amp", "mon"].map((kind) => `/tmp/bt-server-${kind}`);
const REQUIRED_TOOLS = ["btvirt", "socat", "cc"] as const;
const HERE = dirname(fileURLToPath(import.meta.url));
/** Next to this file in a checkout; in the installed package this file is dist/vble/lab.js. */
const SHIM_SOURCE =
  [join(HERE, "af-alg-shim.c"), join(HERE, "../../scripts/vble/af-alg-shim.c")].find((path) =>
    existsSync(path),
  ) ?? join(HERE, "af-alg-shim.c");
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
  /** Field faults of one endpoint (endpoint.ts, relay.ts). */
  state(endpoint: number): EndpointState;
  /** Its pty disappears (a USB adapter pulled out); its controller's links drop. */
  unplug(endpoint: number): Promise<void>;
  /** A pty at the same path again, in front of the same controller (same address). */
  replug(endpoint: number): Promise<void>;
  /** The port stays open but the controller stops answering (`untilReset`: until the host resets it). */
  freeze(endpoint: number, options?: FreezeOptions): void;
  thaw(endpoint: number): void;
  /** Air latency, loss and RSSI between this endpoint and the others; undefined = btvirt's instant link. */
  setRadio(endpoint: number, model: RadioModel | undefined): void;
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
  const parts: Parts = { endpoints: [] };
  const dir = join(labCacheDir(), `lab-${process.pid}-${Date.now()}`);
  try {
    return await launch(options.endpoints, shim, dir, lock, parts);
  } catch (error) {
    for (const endpoint of parts.endpoints) await endpoint.stop();
    if (parts.btvirt) await killAndWait(parts.btvirt);
    cleanupFiles(dir);
    await lock.release();
    throw error;
  }
}

interface Parts {
  btvirt?: ChildProcess;
  endpoints: LabEndpoint[];
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

async function launch(count: number, shim: string, dir: string, lock: HeldLock, parts: Parts): Promise<Lab> {
  await clearStaleBtvirt();
  removeDeadLabDirs(dirname(dir));
  mkdirSync(dir, { recursive: true });
  const btvirt = startChild("btvirt", ["-s", "-l0"], { ...process.env, LD_PRELOAD: shim });
  parts.btvirt = btvirt;
  await waitFor("btvirt to listen", () => socketAnswers(BTVIRT_LE_SOCKET), STEP_TIMEOUT_MS);
  const { endpoints } = parts;
  for (let i = 0; i < count; i++) {
    // One at a time: btvirt numbers controllers in connection order, so pty i is controller i.
    endpoints.push(await LabEndpoint.start(i, dir, BTVIRT_LE_SOCKET));
    if (btvirt.exitCode !== null)
      throw new Error(`virtual BLE lab: btvirt exited while starting endpoint ${i}`);
  }
  const pids = () => ({ btvirt: btvirt.pid ?? -1, socats: endpoints.map((e) => e.pid).filter((p) => p > 0) });
  const recordPids = () => writeFileSync(PIDS_FILE, JSON.stringify(pids()));
  recordPids();
  // If our owner exits without stop(), take the processes down with it (synchronous: 'exit' allows no I/O wait).
  const onExit = () => {
    for (const endpoint of endpoints) endpoint.killNow();
    btvirt.kill("SIGTERM");
  };
  process.once("exit", onExit);
  const endpoint = (index: number): LabEndpoint => {
    const found = endpoints[index];
    if (!found) throw new Error(`virtual BLE lab: no endpoint ${index} (0-${endpoints.length - 1})`);
    return found;
  };
  let stopped: Promise<void> | undefined;
  return {
    ptys: endpoints.map((e) => e.pty),
    get pids() {
      return pids();
    },
    dir,
    state: (index) => endpoint(index).state,
    unplug: (index) => endpoint(index).unplug(),
    replug: async (index) => {
      await endpoint(index).replug();
      recordPids();
    },
    freeze: (index, options) => endpoint(index).freeze(options),
    thaw: (index) => endpoint(index).thaw(),
    setRadio: (index, model) => endpoint(index).setRadio(model),
    stop: () => {
      stopped ??= (async () => {
        process.removeListener("exit", onExit);
        // endpoints first, so btvirt sees its clients leave before it goes
        for (const e of endpoints) await e.stop();
        await killAndWait(btvirt);
        cleanupFiles(dir);
        rmSync(PIDS_FILE, { force: true });
        await lock.release();
      })();
      return stopped;
    },
  };
}

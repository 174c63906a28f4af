/**
 * Persistence for the energy counters: one versioned JSON file, written atomically.
 *
 * Write: `<file>.tmp` is written and fsynced, the current `<file>` is hard-linked to `<file>.bak`
 * (copied where links are unsupported), then the temp file is renamed over `<file>` and the directory
 * is fsynced. A crash at any step leaves either the old or the new `<file>`, plus `<file>.bak` = the
 * state before the last save.
 * Load: `<file>`, else `<file>.bak`. A corrupt `<file>` is logged, moved aside to
 * `<file>.corrupt-<time>` (kept for inspection, and so the next save cannot make it the backup) and the
 * backup is used. A left-over `<file>.tmp` is never trusted: it may be half written.
 */
import { copyFile, link, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { BmsError, toBmsError } from "../../../errors.js";
import type { Logger } from "../../../log/logger.js";
import type { Clock } from "../../../util/clock.js";
import { ENERGY_FIELDS, type EnergyCounters } from "./energy.js";

export const ENERGY_STATE_VERSION = 1;

export interface StoredBatteryEnergy {
  batteryId: string;
  counters: EnergyCounters;
}

/** Keyed by canonical address: ids can be renamed or renumbered, the address identifies the battery. */
export type EnergyState = Map<string, StoredBatteryEnergy>;

export interface EnergyLoadResult {
  state: EnergyState;
  /** Which file the state came from ("none" = no file yet, starting at zero). */
  source: "main" | "backup" | "none";
}

export interface EnergyStore {
  readonly path: string;
  load(): Promise<EnergyLoadResult>;
  save(state: EnergyState, savedAt: number): Promise<void>;
}

export function createEnergyStore(options: { path: string; logger: Logger; clock: Clock }): EnergyStore {
  const { path, logger, clock } = options;
  const backup = `${path}.bak`;
  const temp = `${path}.tmp`;
  return {
    path,
    async load() {
      await discardTemp(temp, logger);
      const main = await readState(path);
      if (main.kind === "ok") return { state: main.state, source: "main" };
      if (main.kind === "corrupt") {
        const aside = `${path}.corrupt-${clock.now()}`;
        logger.error(`energy state file ${path} is unreadable (${main.problem}); moved to ${aside}`);
        await rename(path, aside);
      }
      const fallback = await readState(backup);
      if (fallback.kind === "ok") {
        if (main.kind === "corrupt") logger.warn(`energy counters restored from backup ${backup}`);
        else logger.warn(`energy state file ${path} is missing; restored from backup ${backup}`);
        return { state: fallback.state, source: "backup" };
      }
      if (fallback.kind === "corrupt") {
        logger.error(`energy backup ${backup} is unreadable too (${fallback.problem}); counters start at 0`);
      }
      return { state: new Map(), source: "none" };
    },
    async save(state, savedAt) {
      try {
        await writeSynced(temp, serializeEnergyState(state, savedAt));
        await keepBackup(path, backup);
        await rename(temp, path);
        await syncDirectory(dirname(path));
      } catch (error) {
        throw new BmsError("IO", `cannot save energy state to ${path}: ${toBmsError(error).message}`, {
          path,
        });
      }
    },
  };
}

type ReadOutcome =
  | { kind: "ok"; state: EnergyState }
  | { kind: "missing" }
  | { kind: "corrupt"; problem: string };

async function readState(file: string): Promise<ReadOutcome> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    throw new BmsError("IO", `cannot read energy state ${file}: ${toBmsError(error).message}`, { file });
  }
  const parsed = parseEnergyState(text);
  return parsed.ok ? { kind: "ok", state: parsed.state } : { kind: "corrupt", problem: parsed.problem };
}

/** File layout, version 1: `{ version, saved_at, batteries: { <address>: { battery_id, charged_kwh, … } } }`. */
export function serializeEnergyState(state: EnergyState, savedAt: number): string {
  const batteries: Record<string, Record<string, string | number>> = {};
  for (const [address, entry] of state) {
    const row: Record<string, string | number> = { battery_id: entry.batteryId };
    for (const f of ENERGY_FIELDS) row[f.wire] = entry.counters[f.key];
    batteries[address] = row;
  }
  const file = { version: ENERGY_STATE_VERSION, saved_at: new Date(savedAt).toISOString(), batteries };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function parseEnergyState(
  text: string,
): { ok: true; state: EnergyState } | { ok: false; problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problem: text.length === 0 ? "empty file" : "not valid JSON (truncated?)" };
  }
  if (!isRecord(data)) return { ok: false, problem: "not a JSON object" };
  if (data.version !== ENERGY_STATE_VERSION) {
    return { ok: false, problem: `unsupported version ${JSON.stringify(data.version)}` };
  }
  if (!isRecord(data.batteries)) return { ok: false, problem: "no batteries object" };
  const state: EnergyState = new Map();
  for (const [address, row] of Object.entries(data.batteries)) {
    if (!isRecord(row) || typeof row.battery_id !== "string") {
      return { ok: false, problem: `battery ${address} has no battery_id` };
    }
    const counters = {} as EnergyCounters;
    for (const f of ENERGY_FIELDS) {
      const value = row[f.wire];
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        return { ok: false, problem: `battery ${address} has an invalid ${f.wire}` };
      }
      counters[f.key] = value;
    }
    state.set(address, { batteryId: row.battery_id, counters });
  }
  return { ok: true, state };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await open(file, "w", 0o644);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes `backup` the current `main` (if there is one). The new backup is prepared under a temp name and
 * renamed into place, so neither `main` nor the old backup ever disappears before its successor exists.
 */
async function keepBackup(main: string, backup: string): Promise<void> {
  const pending = `${backup}.tmp`;
  await unlink(pending).catch(ignoreCode("ENOENT"));
  try {
    await link(main, pending);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    // Filesystems without hard links (FAT, some network mounts): a copy is as good for a fallback.
    await copyFile(main, pending);
  }
  await rename(pending, backup);
}

/** Makes the rename durable. Some platforms/filesystems cannot fsync a directory; that is not an error. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!["EISDIR", "EINVAL", "EPERM", "EACCES", "ENOTSUP"].includes(code ?? "")) throw error;
  } finally {
    await handle?.close();
  }
}

/** A temp file at start is the trace of a crash mid-save; its content may be cut off, so it is dropped. */
async function discardTemp(temp: string, logger: Logger): Promise<void> {
  try {
    await unlink(temp);
    logger.warn(`discarded ${temp} left by an interrupted save`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

function ignoreCode(code: string): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (error.code !== code) throw error;
  };
}

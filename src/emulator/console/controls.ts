/**
 * The console's controls: a PATCH body (or one MQTT `set/<field>`) checked as a whole, then applied to
 * the battery through its own API. Nothing is applied unless every field is valid, so a bad request
 * changes nothing. Field names are snake_case, as everywhere on the wire (docs/cli-emu.md "Console").
 */
import type { BatterySetup, EmulatedBattery } from "../battery.js";
import type { FaultSpec } from "../behaviors/faults.js";
import { parseFaultSpec } from "../behaviors/parse-fault.js";
import { PARAMETER_REGISTER } from "../parameters.js";

export interface BatteryPatch {
  currentA?: number;
  socPct?: number;
  /** 0-based cell index → offset, mV (0 clears). */
  cellOffsetMv?: Map<number, number>;
  temperatureC?: number;
  /** Replaces the console's faults; [] clears them. */
  faults?: Array<{ text: string; spec: FaultSpec }>;
  online?: boolean;
  scenario?: string;
  speed?: number;
  chargeFet?: boolean;
  dischargeFet?: boolean;
  cycles?: number;
}

export type PatchResult = { ok: true; patch: BatteryPatch } | { ok: false; field: string; error: string };

type FieldParser = (value: unknown, patch: BatteryPatch, cellCount: number) => string | undefined;

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function numberIn(min: number, max: number, set: (patch: BatteryPatch, v: number) => void): FieldParser {
  return (value, patch) => {
    if (!isNumber(value) || value < min || value > max) return `must be a number from ${min} to ${max}`;
    set(patch, value);
    return undefined;
  };
}

function boolean(set: (patch: BatteryPatch, v: boolean) => void): FieldParser {
  return (value, patch) => {
    if (typeof value !== "boolean") return "must be true or false";
    set(patch, value);
    return undefined;
  };
}

const CELL_OFFSET_LIMIT_MV = 1000;

function cellOffsets(value: unknown, patch: BatteryPatch, cellCount: number): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return `must be an object of cell number (1–${cellCount}) to mV, e.g. {"3": -120}`;
  const offsets = new Map<number, number>();
  for (const [key, mv] of Object.entries(value)) {
    const cell = Number(key);
    if (!Number.isInteger(cell) || cell < 1 || cell > cellCount)
      return `has no cell "${key}" (1–${cellCount})`;
    if (mv !== null && (!isNumber(mv) || Math.abs(mv) > CELL_OFFSET_LIMIT_MV))
      return `cell ${cell} must be a number of mV within ±${CELL_OFFSET_LIMIT_MV}, or null`;
    offsets.set(cell - 1, mv === null ? 0 : Math.round(mv));
  }
  patch.cellOffsetMv = offsets;
  return undefined;
}

function faults(value: unknown, patch: BatteryPatch): string | undefined {
  const texts = value === null ? [] : Array.isArray(value) ? value : [value];
  const parsed: Array<{ text: string; spec: FaultSpec }> = [];
  for (const text of texts) {
    if (typeof text !== "string") return 'must be a fault spec like "drop:0.3", a list of them, or null';
    const result = parseFaultSpec(text);
    if (!result.ok) return result.problem;
    parsed.push({ text: text.trim(), spec: result.spec });
  }
  patch.faults = parsed;
  return undefined;
}

function scenario(value: unknown, patch: BatteryPatch): string | undefined {
  if (typeof value !== "string" || !/^[\w.-]+$/.test(value)) return "must be a bundled scenario name";
  patch.scenario = value;
  return undefined;
}

/** Every field a client may set, with its check. */
export const PATCH_FIELDS: Readonly<Record<string, FieldParser>> = {
  current_a: numberIn(-2000, 2000, (p, v) => {
    p.currentA = v;
  }),
  soc_pct: numberIn(0, 100, (p, v) => {
    p.socPct = v;
  }),
  cell_offset_mv: cellOffsets,
  temperature_c: numberIn(-40, 120, (p, v) => {
    p.temperatureC = v;
  }),
  fault: faults,
  online: boolean((p, v) => {
    p.online = v;
  }),
  scenario,
  speed: numberIn(0, 1_000_000, (p, v) => {
    p.speed = v;
  }),
  charge_fet: boolean((p, v) => {
    p.chargeFet = v;
  }),
  discharge_fet: boolean((p, v) => {
    p.dischargeFet = v;
  }),
  cycles: (value, patch) => {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffff)
      return "must be a whole number from 0 to 65535";
    patch.cycles = value as number;
    return undefined;
  },
};

/** Checks a whole body; the first problem is named (its field) and nothing is returned to apply. */
export function parsePatch(body: unknown, cellCount: number): PatchResult {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, field: "(body)", error: "must be a JSON object of fields to set" };
  const patch: BatteryPatch = {};
  for (const [field, value] of Object.entries(body)) {
    const parse = PATCH_FIELDS[field];
    if (!parse)
      return { ok: false, field, error: `is not a field; use ${Object.keys(PATCH_FIELDS).join(", ")}` };
    const error = parse(value, patch, cellCount);
    if (error) return { ok: false, field, error };
  }
  return { ok: true, patch };
}

/**
 * Applies a checked patch. A scenario comes first (it starts the battery over), then the rest on top of
 * it; `setup` is the scenario's, loaded by the caller before anything is applied.
 */
export function applyPatch(battery: EmulatedBattery, patch: BatteryPatch, setup?: BatterySetup): void {
  if (setup) battery.load(setup);
  if (patch.speed !== undefined) battery.setSpeed(patch.speed);
  battery.sync();
  const model = battery.model;
  if (patch.socPct !== undefined) model.setSoc(patch.socPct);
  if (patch.currentA !== undefined) model.setDemand(patch.currentA);
  if (patch.temperatureC !== undefined) {
    // the pack and its surroundings, so the temperature holds instead of cooling back at once
    model.setTemperature(patch.temperatureC);
    model.setAmbient(patch.temperatureC);
  }
  for (const [cell, mv] of patch.cellOffsetMv ?? []) model.setCellOffset(cell, mv);
  if (patch.cycles !== undefined) model.writeParameter(PARAMETER_REGISTER.cycleCount, patch.cycles);
  if (patch.chargeFet !== undefined || patch.dischargeFet !== undefined) {
    const mask = battery.snapshot().forcedOffMask;
    const charge = patch.chargeFet === undefined ? mask & 0b01 : patch.chargeFet ? 0 : 0b01;
    const discharge = patch.dischargeFet === undefined ? mask & 0b10 : patch.dischargeFet ? 0 : 0b10;
    model.setForcedOff(charge | discharge);
  }
  if (patch.faults !== undefined) battery.setConsoleFaults(patch.faults);
  if (patch.online !== undefined) battery.setOnline(patch.online);
}

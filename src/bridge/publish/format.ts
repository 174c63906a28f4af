/**
 * Pure formatting of telemetry into the seed's payloads (seed "MQTT Topics Published"): plain numbers as
 * strings, no units, fixed decimals. The `status` JSON numbers are parsed back from the same strings so a
 * consumer that reads both (Accu-Solar: status overrides the single topics) always sees identical values.
 */

import { type CellStats, cellStats, type Health, healthForSpread, powerW } from "../../protocol/telemetry.js";
import type { TelemetryField } from "../mqtt/topics.js";
import type { BatteryReading } from "../types.js";

const HEALTH_RANK: Record<Health, number> = { Normal: 0, Warning: 1, Critical: 2 };

export function worstHealth(healths: Iterable<Health>): Health | undefined {
  let worst: Health | undefined;
  for (const h of healths) if (worst === undefined || HEALTH_RANK[h] > HEALTH_RANK[worst]) worst = h;
  return worst;
}

/** The values behind the seed topics, for one battery or for the bank. */
export interface Telemetry {
  voltageV: number;
  currentA: number;
  socPct: number;
  powerW: number;
  /** Mean of the NTC probes; undefined when the BMS has none (we never invent a value). */
  temperatureC: number | undefined;
  cycles: number;
  remainingAh: number;
  fullAh: number;
  cellsMv: number[];
}

/** The codec's cell statistics plus the seed health they imply. */
export interface CellHealth extends CellStats {
  health: Health;
}

/** Decimals per topic (seed table examples: 13.45, 9.93, 71, 133.6, 9.0, 27, 198.4, 280.0). */
const DECIMALS = {
  voltage: 2,
  current: 2,
  soc: 0,
  power: 1,
  temperature: 1,
  cycles: 0,
  capacity: 1,
  cell: 3,
};

/** Rounds half away from zero in decimal, not in binary (1.005 → 1.01), and never yields "-0". */
export function fixed(value: number, decimals: number): string {
  const factor = 10 ** decimals;
  const magnitude = Math.round(Math.abs(value) * factor + 1e-7) / factor;
  const signed = value < 0 && magnitude !== 0 ? -magnitude : magnitude;
  return signed.toFixed(decimals);
}

/** The number a consumer parses back from `fixed()`: the status JSON uses this so both agree exactly. */
export function rounded(value: number, decimals: number): number {
  return Number(fixed(value, decimals));
}

export function mean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

export function telemetryFromReading(reading: BatteryReading): Telemetry {
  const { basic } = reading;
  return {
    voltageV: basic.voltageV,
    currentA: basic.currentA,
    socPct: basic.socPct,
    // Power is V×A (seed: round(V × I, 1)); + = charging like the current.
    powerW: powerW(basic.voltageV, basic.currentA),
    temperatureC: mean(basic.temperaturesC),
    cycles: basic.cycles,
    remainingAh: basic.remainingAh,
    fullAh: basic.nominalAh,
    cellsMv: [...reading.cells.cellsMv],
  };
}

export function cellHealth(cellsMv: readonly number[]): CellHealth | undefined {
  const stats = cellStats(cellsMv);
  return stats && { ...stats, health: healthForSpread(stats.spreadMv) };
}

/** Cell voltages in volts, 3 decimals, as the seed printed them (Python json.dumps: `[3.36, 3.361]`). */
export function cellsVolts(cellsMv: readonly number[]): number[] {
  return cellsMv.map((mv) => rounded(mv / 1000, DECIMALS.cell));
}

export function formatCells(cellsMv: readonly number[]): string {
  return `[${cellsVolts(cellsMv).join(", ")}]`;
}

/** Payload per seed topic; `undefined` = no value to publish (the topic is cleared instead). */
export function telemetryPayloads(t: Telemetry): Record<TelemetryField, string | undefined> {
  return {
    voltage: fixed(t.voltageV, DECIMALS.voltage),
    current: fixed(t.currentA, DECIMALS.current),
    soc: fixed(t.socPct, DECIMALS.soc),
    power: fixed(t.powerW, DECIMALS.power),
    temperature: t.temperatureC === undefined ? undefined : fixed(t.temperatureC, DECIMALS.temperature),
    cycles: fixed(t.cycles, DECIMALS.cycles),
    capacity_remain: fixed(t.remainingAh, DECIMALS.capacity),
    capacity_full: fixed(t.fullAh, DECIMALS.capacity),
    cells: formatCells(t.cellsMv),
  };
}

/**
 * The keys Accu-Solar reads from `status` (accu-solar-client §1 "Parsing"), as JSON numbers rounded exactly
 * like the single topics. `temp` is left out when there is no NTC rather than faking 25 °C (seed bug 10).
 */
export function accuSolarKeys(t: Telemetry): Record<string, number | number[]> {
  const keys: Record<string, number | number[]> = {
    voltage: rounded(t.voltageV, DECIMALS.voltage),
    current: rounded(t.currentA, DECIMALS.current),
    soc: rounded(t.socPct, DECIMALS.soc),
    power: rounded(t.powerW, DECIMALS.power),
  };
  if (t.temperatureC !== undefined) keys.temp = rounded(t.temperatureC, DECIMALS.temperature);
  keys.cycles = rounded(t.cycles, DECIMALS.cycles);
  keys.capacity_remain = rounded(t.remainingAh, DECIMALS.capacity);
  keys.capacity_full = rounded(t.fullAh, DECIMALS.capacity);
  keys.cells = cellsVolts(t.cellsMv);
  return keys;
}

/** `Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27` (seed log line). */
export function publishLogLine(t: Telemetry, batteryId?: string): string {
  const p = telemetryPayloads(t);
  const temp = p.temperature === undefined ? "Temp n/a" : `Temp ${p.temperature}°C`;
  const line = `Published → ${p.voltage}V | ${p.current}A | SoC ${p.soc}% | ${p.power}W | ${temp} | Cycles ${p.cycles}`;
  return batteryId === undefined ? line : `[${batteryId}] ${line}`;
}

export type { Health };

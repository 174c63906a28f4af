/**
 * The bank view: what a user of several batteries in parallel wants to see at a glance. PURE.
 *
 * Only ONLINE batteries with a reading contribute to the aggregates (an offline battery's last reading
 * is stale); `batteriesConfigured` still counts every configured battery. Rules are documented in
 * docs/features-ha-energy-bank.md "Bank topics".
 */
import { type Health, healthForSpread } from "../../../protocol/telemetry.js";
import type { BatteryReading } from "../../types.js";

export type { Health };

const HEALTH_RANK: Record<Health, number> = { Normal: 0, Warning: 1, Critical: 2 };

export interface BankMember {
  batteryId: string;
  online: boolean;
  reading?: BatteryReading;
}

export interface BankViewOptions {
  /**
   * |bank current| below this (A) counts as idle: time to empty/full is then null, because a few
   * milliamps of BMS self-consumption or sensor offset would give meaningless months. Default 0.5 A.
   */
  idleCurrentA?: number;
}

export const DEFAULT_IDLE_CURRENT_A = 0.5;

export interface CellRef {
  batteryId: string;
  /** 1-based, as printed on the pack. */
  cell: number;
  voltageV: number;
}

export interface Deviation {
  /** Largest |value − bank mean|. */
  max: number;
  batteryId: string;
}

export interface MemberView {
  batteryId: string;
  socPct: number;
  voltageV: number;
  currentA: number;
  /** value − mean over the online batteries. */
  socDeviation: number;
  voltageDeviation: number;
  cellSpreadMv: number;
  health: Health;
}

export interface BankView {
  batteriesOnline: number;
  batteriesConfigured: number;
  currentA: number;
  powerW: number;
  voltageMeanV: number | null;
  socMeanPct: number | null;
  remainingAh: number;
  fullAh: number;
  cellMin: CellRef | null;
  cellMax: CellRef | null;
  /** Highest cell − lowest cell across the whole bank, mV. */
  cellSpreadMv: number | null;
  socDeviation: Deviation | null;
  voltageDeviation: Deviation | null;
  worstHealth: { health: Health; batteryId: string } | null;
  timeToEmptyH: number | null;
  timeToFullH: number | null;
  members: MemberView[];
}

/** A battery's full capacity: the DP04S tail's full-charge capacity when present, else nominal (§3.2). */
export function fullCapacityAh(reading: BatteryReading): number {
  const full = reading.basic.extension?.fullChargeAh;
  return full !== undefined && full > 0 ? full : reading.basic.nominalAh;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Extreme cell over all batteries; 0 mV cells are skipped (an unconnected tap, not a real cell voltage). */
function extremeCell(readings: BatteryReading[], pick: "min" | "max"): CellRef | null {
  let best: CellRef | null = null;
  for (const r of readings) {
    r.cells.cellsMv.forEach((mv, i) => {
      if (mv <= 0) return;
      const better =
        best === null || (pick === "min" ? mv < best.voltageV * 1000 : mv > best.voltageV * 1000);
      if (better) best = { batteryId: r.batteryId, cell: i + 1, voltageV: mv / 1000 };
    });
  }
  return best;
}

function largestDeviation(members: MemberView[], key: "socDeviation" | "voltageDeviation"): Deviation | null {
  let best: Deviation | null = null;
  for (const m of members) {
    const size = Math.abs(m[key]);
    if (best === null || size > best.max) best = { max: size, batteryId: m.batteryId };
  }
  return best;
}

function spreadMv(cellsMv: number[]): number {
  const real = cellsMv.filter((mv) => mv > 0);
  return real.length === 0 ? 0 : Math.max(...real) - Math.min(...real);
}

function timeTo(currentA: number, remainingAh: number, fullAh: number, idleA: number) {
  if (currentA <= -idleA) return { timeToEmptyH: remainingAh / -currentA, timeToFullH: null };
  if (currentA >= idleA)
    return { timeToEmptyH: null, timeToFullH: Math.max(0, fullAh - remainingAh) / currentA };
  return { timeToEmptyH: null, timeToFullH: null };
}

export function computeBankView(
  members: readonly BankMember[],
  batteriesConfigured: number,
  options: BankViewOptions = {},
): BankView {
  const readings = members.flatMap((m) => (m.online && m.reading ? [m.reading] : []));
  const socMean = mean(readings.map((r) => r.basic.socPct));
  const voltageMean = mean(readings.map((r) => r.basic.voltageV));
  const views: MemberView[] = readings.map((r) => {
    const cellSpread = spreadMv(r.cells.cellsMv);
    return {
      batteryId: r.batteryId,
      socPct: r.basic.socPct,
      voltageV: r.basic.voltageV,
      currentA: r.basic.currentA,
      socDeviation: r.basic.socPct - (socMean ?? 0),
      voltageDeviation: r.basic.voltageV - (voltageMean ?? 0),
      cellSpreadMv: cellSpread,
      health: healthForSpread(cellSpread),
    };
  });
  const cellMin = extremeCell(readings, "min");
  const cellMax = extremeCell(readings, "max");
  const worst = views.reduce<MemberView | null>(
    (w, m) => (w === null || HEALTH_RANK[m.health] > HEALTH_RANK[w.health] ? m : w),
    null,
  );
  const currentA = sum(readings.map((r) => r.basic.currentA));
  const remainingAh = sum(readings.map((r) => r.basic.remainingAh));
  const fullAh = sum(readings.map(fullCapacityAh));
  return {
    batteriesOnline: readings.length,
    batteriesConfigured,
    currentA,
    powerW: sum(readings.map((r) => r.basic.voltageV * r.basic.currentA)),
    voltageMeanV: voltageMean,
    socMeanPct: socMean,
    remainingAh,
    fullAh,
    cellMin,
    cellMax,
    cellSpreadMv: cellMin && cellMax ? Math.round((cellMax.voltageV - cellMin.voltageV) * 1000) : null,
    socDeviation: largestDeviation(views, "socDeviation"),
    voltageDeviation: largestDeviation(views, "voltageDeviation"),
    worstHealth: worst ? { health: worst.health, batteryId: worst.batteryId } : null,
    ...timeTo(currentA, remainingAh, fullAh, options.idleCurrentA ?? DEFAULT_IDLE_CURRENT_A),
    members: views,
  };
}

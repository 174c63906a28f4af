/** Values derived from decoded registers (what the bridge publishes besides the raw readings). */

/** Power in W; the sign follows the current (positive = charging). */
export function powerW(voltageV: number, currentA: number): number {
  return voltageV * currentA;
}

export interface CellStats {
  minMv: number;
  maxMv: number;
  meanMv: number;
  /** max − min. */
  spreadMv: number;
  /** 1-based index of the (first) lowest / highest cell. */
  minCell: number;
  maxCell: number;
}

export interface CellStatsOptions {
  /**
   * Leave out cells that read 0 mV: a BMS configured for more cells than are wired reports the spare tap
   * as 0 (docs/protocol.md §4). Indices still count every reported cell.
   */
  skipZero?: boolean;
}

/**
 * Statistics over the cell voltages (mV); undefined when no cell counts. By default a 0 mV cell counts
 * like any other (what the BMS reported); `skipZero` leaves such cells out.
 */
export function cellStats(cellsMv: readonly number[], options: CellStatsOptions = {}): CellStats | undefined {
  let minIndex = -1;
  let maxIndex = -1;
  let sum = 0;
  let counted = 0;
  cellsMv.forEach((mv, i) => {
    if (options.skipZero && mv <= 0) return;
    sum += mv;
    counted++;
    if (minIndex < 0 || mv < (cellsMv[minIndex] as number)) minIndex = i;
    if (maxIndex < 0 || mv > (cellsMv[maxIndex] as number)) maxIndex = i;
  });
  if (counted === 0) return undefined;
  const minMv = cellsMv[minIndex] as number;
  const maxMv = cellsMv[maxIndex] as number;
  return {
    minMv,
    maxMv,
    meanMv: sum / counted,
    spreadMv: maxMv - minMv,
    minCell: minIndex + 1,
    maxCell: maxIndex + 1,
  };
}

export type Health = "Normal" | "Warning" | "Critical";

export const HEALTH_WARNING_MV = 50;
export const HEALTH_CRITICAL_ABOVE_MV = 100;

/**
 * Cell-balance health from the spread, per the Accu-Solar BMS setup guide's table: < 50 mV Normal, 50–100 mV
 * Warning, > 100 mV Critical. Compared in integer mV on purpose: the old Python bridge compared floats
 * in volts (> 0.05 / > 0.1), which put exactly 50 mV in Normal and could misjudge the boundaries
 * through binary rounding; the guide's table is the contract.
 */
export function healthForSpread(spreadMv: number): Health {
  if (spreadMv > HEALTH_CRITICAL_ABOVE_MV) return "Critical";
  if (spreadMv >= HEALTH_WARNING_MV) return "Warning";
  return "Normal";
}

const HEALTH_RANK: Record<Health, number> = { Normal: 0, Warning: 1, Critical: 2 };

/** The worse of two healths (Critical > Warning > Normal). */
export function isWorseHealth(candidate: Health, than: Health): boolean {
  return HEALTH_RANK[candidate] > HEALTH_RANK[than];
}

/** The worst of several healths; undefined for none. */
export function worstHealth(healths: Iterable<Health>): Health | undefined {
  let worst: Health | undefined;
  for (const health of healths) if (worst === undefined || isWorseHealth(health, worst)) worst = health;
  return worst;
}

/**
 * State of charge from capacities, in whole percent clamped to 0–100 (remaining can exceed nominal,
 * docs/protocol.md §3.1). Undefined when the nominal capacity is not positive.
 */
export function socFromCapacity(remainingAh: number, nominalAh: number): number | undefined {
  if (!(nominalAh > 0)) return undefined;
  return Math.min(100, Math.max(0, Math.round((remainingAh / nominalAh) * 100)));
}

/**
 * The 0x03 software version byte read as two nibbles (0x10 → "1.0"), as most readers do; docs/protocol.md
 * lists the readers that differ, which is why the raw byte is published next to it.
 */
export function softwareVersionText(raw: number): string {
  return `${raw >> 4}.${raw & 0x0f}`;
}

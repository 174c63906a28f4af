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

/** Statistics over the cell voltages (mV); undefined for no cells. A 0 mV cell counts like any other. */
export function cellStats(cellsMv: readonly number[]): CellStats | undefined {
  if (cellsMv.length === 0) return undefined;
  let minIndex = 0;
  let maxIndex = 0;
  let sum = 0;
  cellsMv.forEach((mv, i) => {
    sum += mv;
    if (mv < (cellsMv[minIndex] as number)) minIndex = i;
    if (mv > (cellsMv[maxIndex] as number)) maxIndex = i;
  });
  const minMv = cellsMv[minIndex] as number;
  const maxMv = cellsMv[maxIndex] as number;
  return {
    minMv,
    maxMv,
    meanMv: sum / cellsMv.length,
    spreadMv: maxMv - minMv,
    minCell: minIndex + 1,
    maxCell: maxIndex + 1,
  };
}

export type Health = "Normal" | "Warning" | "Critical";

export const HEALTH_WARNING_MV = 50;
export const HEALTH_CRITICAL_ABOVE_MV = 100;

/**
 * Cell-balance health from the spread, per the seed document's table: < 50 mV Normal, 50–100 mV
 * Warning, > 100 mV Critical. Compared in integer mV on purpose: the old Python bridge compared floats
 * in volts (> 0.05 / > 0.1), which put exactly 50 mV in Normal and could misjudge the boundaries
 * through binary rounding; the seed's table is the contract.
 */
export function healthForSpread(spreadMv: number): Health {
  if (spreadMv > HEALTH_CRITICAL_ABOVE_MV) return "Critical";
  if (spreadMv >= HEALTH_WARNING_MV) return "Warning";
  return "Normal";
}

/**
 * State of charge from capacities, in whole percent clamped to 0–100 (remaining can exceed nominal,
 * jbd-protocol §3.1). Undefined when the nominal capacity is not positive.
 */
export function socFromCapacity(remainingAh: number, nominalAh: number): number | undefined {
  if (!(nominalAh > 0)) return undefined;
  return Math.min(100, Math.max(0, Math.round((remainingAh / nominalAh) * 100)));
}

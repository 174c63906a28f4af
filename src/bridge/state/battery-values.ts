/**
 * The one shape of a battery's values that every feature reads: the numbers behind the Accu-Solar topics,
 * plus what is derived from them, computed ONCE per reading (cell statistics, health). A bank of batteries
 * has the same shape (state/bank.ts), so the plain topics print a battery and a bank alike.
 *
 * Definitions (docs/mqtt.md "Values"):
 * - `nominalAh` is the design capacity of register 0x03, what `capacity_full` has always carried;
 *   `fullChargeAh` is what the battery holds when full today: the full-charge capacity of the 0x03 extension
 *   when the BMS reports one above 0, else the nominal capacity.
 * - cell statistics and health leave out cells reading 0 mV (a spare tap, docs/protocol.md §4); the cell list
 *   keeps them, as the BMS reported.
 */
import { type CellStats, cellStats, type Health, healthForSpread, powerW } from "../../protocol/telemetry.js";
import { mean } from "../../util/numbers.js";
import type { BatteryReading } from "../types.js";

export interface BatteryValues {
  voltageV: number;
  /** + = charging. */
  currentA: number;
  socPct: number;
  /** V × A; + = charging. */
  powerW: number;
  /** Mean of the NTC probes; undefined without probes (never invented). */
  temperatureC: number | undefined;
  cycles: number;
  remainingAh: number;
  nominalAh: number;
  fullChargeAh: number;
  cellsMv: readonly number[];
  /** Over the cells reading above 0 mV; undefined when there is none. */
  cellStats: CellStats | undefined;
  /** Cell-balance health from `cellStats`; undefined without cell statistics. */
  health: Health | undefined;
}

export function fullChargeCapacityAh(reading: BatteryReading): number {
  const full = reading.basic.extension?.fullChargeAh ?? 0;
  return full > 0 ? full : reading.basic.nominalAh;
}

export function cellFacts(cellsMv: readonly number[]): Pick<BatteryValues, "cellStats" | "health"> {
  const stats = cellStats(cellsMv, { skipZero: true });
  return { cellStats: stats, health: stats && healthForSpread(stats.spreadMv) };
}

export function valuesFromReading(reading: BatteryReading): BatteryValues {
  const { basic } = reading;
  const cellsMv = reading.cells.cellsMv;
  return {
    voltageV: basic.voltageV,
    currentA: basic.currentA,
    socPct: basic.socPct,
    powerW: powerW(basic.voltageV, basic.currentA),
    temperatureC: mean(basic.temperaturesC),
    cycles: basic.cycles,
    remainingAh: basic.remainingAh,
    nominalAh: basic.nominalAh,
    fullChargeAh: fullChargeCapacityAh(reading),
    cellsMv,
    ...cellFacts(cellsMv),
  };
}

/**
 * The ONE bank computation: batteries in parallel seen as one battery (the plain `<prefix>/battery/*`
 * topics with several batteries) plus what tells them apart (the `<prefix>/bank/…` view). PURE.
 *
 * The input is a set of battery states keyed by battery id, in battery order: whoever reads them (this
 * bridge's store, or another bridge's retained status) decides which count; only the given ones do.
 * Definitions, each written once (docs/mqtt.md "The bank"):
 * - current, power, remaining, nominal and full-charge capacity: sums (in parallel currents add);
 * - voltage: mean (shared in parallel); temperature: mean of the batteries that have probes;
 * - SoC: weighted by full-charge capacity, i.e. the bank's remaining over its full charge (a plain mean
 *   when no capacity is known); deviations are from that bank SoC and from the mean voltage;
 * - cycles: the highest (the most-worn battery ages the bank);
 * - cells: all, in battery order; statistics over all of them without 0 mV cells (battery-values.ts);
 * - health: the worst battery's (each battery's health is its own spread: batteries in parallel at
 *   slightly different voltages are not unbalanced cells);
 * - time to empty / full: remaining ÷ discharge current, (full charge − remaining) ÷ charge current, and
 *   null below the idle current.
 */
import type { CellStats, Health } from "../../protocol/telemetry.js";
import { isWorseHealth, worstHealth } from "../../protocol/telemetry.js";
import { mean, sum } from "../../util/numbers.js";
import { type BatteryValues, cellFacts } from "./battery-values.js";

/** One battery's share in the bank: its values and when they were read (ms). */
export interface BankMember {
  time: number;
  values: BatteryValues;
}

export interface BankOptions {
  /** How many batteries the bank has, counting or not (`batteries_configured`). */
  configured: number;
  /** |current| below this (A) is idle: no time estimate (BMS self-consumption would give months). */
  idleCurrentA?: number;
  /** Known batteries that do not count now (offline, or their bridge is gone): the bank says which. */
  offline?: readonly string[];
}

export const DEFAULT_IDLE_CURRENT_A = 0.5;

export interface CellRef {
  batteryId: string;
  /** 1-based, as printed on the pack. */
  cell: number;
  mv: number;
}

export interface Deviation {
  /** Largest |value − bank value|. */
  max: number;
  batteryId: string;
}

export interface MemberView {
  batteryId: string;
  values: BatteryValues;
  /** SoC − bank SoC (percentage points). */
  socDeviation: number;
  /** Voltage − bank mean voltage (V). */
  voltageDeviation: number;
}

export interface Bank {
  /** The batteries that counted, in the order given. */
  batteryIds: string[];
  configured: number;
  /** Known batteries that did not count (offline). */
  offline: string[];
  /**
   * The pack with the widest cell spread (the first of equals): the plain topics show its cells, so a
   * single-pack UI's own spread alert agrees with the bank health (docs/mqtt.md "The bank").
   */
  spreadPack: MemberView;
  /** The newest member reading time (ms). */
  time: number;
  /** The bank as one battery. */
  values: BatteryValues;
  cellMin: CellRef | undefined;
  cellMax: CellRef | undefined;
  worstHealth: { health: Health; batteryId: string } | undefined;
  socDeviation: Deviation;
  voltageDeviation: Deviation;
  timeToEmptyH: number | null;
  timeToFullH: number | null;
  members: MemberView[];
}

/** Undefined when no battery counts (the plain topics are then cleared, the view says so). */
export function computeBank(
  members: ReadonlyMap<string, BankMember>,
  options: BankOptions,
): Bank | undefined {
  const entries = [...members];
  if (entries.length === 0) return undefined;
  const all = entries.map(([, m]) => m.values);
  const values = bankValues(all);
  const views = entries.map(
    ([batteryId, m]): MemberView => ({
      batteryId,
      values: m.values,
      socDeviation: m.values.socPct - values.socPct,
      voltageDeviation: m.values.voltageV - values.voltageV,
    }),
  );
  return {
    batteryIds: entries.map(([id]) => id),
    configured: options.configured,
    offline: [...(options.offline ?? [])],
    spreadPack: widestSpread(views),
    time: Math.max(...entries.map(([, m]) => m.time)),
    values,
    ...extremeCells(entries, values.cellStats),
    worstHealth: worstMember(views),
    socDeviation: largest(views, (v) => v.socDeviation),
    voltageDeviation: largest(views, (v) => v.voltageDeviation),
    ...timeTo(values, options.idleCurrentA ?? DEFAULT_IDLE_CURRENT_A),
    members: views,
  };
}

function bankValues(all: BatteryValues[]): BatteryValues {
  const cellsMv = all.flatMap((v) => v.cellsMv);
  const fullChargeAh = sum(all.map((v) => v.fullChargeAh));
  const temperatures = all.flatMap((v) => (v.temperatureC === undefined ? [] : [v.temperatureC]));
  return {
    voltageV: mean(all.map((v) => v.voltageV)) as number,
    currentA: sum(all.map((v) => v.currentA)),
    socPct:
      fullChargeAh > 0
        ? sum(all.map((v) => v.socPct * v.fullChargeAh)) / fullChargeAh
        : (mean(all.map((v) => v.socPct)) as number),
    powerW: sum(all.map((v) => v.powerW)),
    temperatureC: mean(temperatures),
    cycles: Math.max(...all.map((v) => v.cycles)),
    remainingAh: sum(all.map((v) => v.remainingAh)),
    nominalAh: sum(all.map((v) => v.nominalAh)),
    fullChargeAh,
    cellsMv,
    cellStats: cellFacts(cellsMv).cellStats,
    health: worstHealth(all.flatMap((v) => (v.health === undefined ? [] : [v.health]))),
  };
}

/** The bank's lowest/highest cell named by battery and its own cell number. */
function extremeCells(
  entries: Array<[string, BankMember]>,
  stats: CellStats | undefined,
): { cellMin: CellRef | undefined; cellMax: CellRef | undefined } {
  if (stats === undefined) return { cellMin: undefined, cellMax: undefined };
  const locate = (bankCell: number, mv: number): CellRef | undefined => {
    let offset = 0;
    for (const [batteryId, m] of entries) {
      const count = m.values.cellsMv.length;
      if (bankCell <= offset + count) return { batteryId, cell: bankCell - offset, mv };
      offset += count;
    }
    return undefined;
  };
  return { cellMin: locate(stats.minCell, stats.minMv), cellMax: locate(stats.maxCell, stats.maxMv) };
}

function worstMember(views: MemberView[]): Bank["worstHealth"] {
  let worst: Bank["worstHealth"];
  for (const { batteryId, values } of views) {
    if (values.health === undefined) continue;
    if (worst === undefined || isWorseHealth(values.health, worst.health))
      worst = { health: values.health, batteryId };
  }
  return worst;
}

/** The first pack of the widest spread; a pack without cell statistics only when none has any. */
function widestSpread(views: MemberView[]): MemberView {
  let widest = views[0] as MemberView; // computeBank never passes an empty list
  let widestMv = -1;
  for (const view of views) {
    const spread = view.values.cellStats?.spreadMv ?? -1;
    if (spread > widestMv) {
      widest = view;
      widestMv = spread;
    }
  }
  return widest;
}

function largest(views: MemberView[], of: (view: MemberView) => number): Deviation {
  let best: Deviation | undefined;
  for (const view of views) {
    const size = Math.abs(of(view));
    if (best === undefined || size > best.max) best = { max: size, batteryId: view.batteryId };
  }
  return best as Deviation; // computeBank never passes an empty list
}

function timeTo(values: BatteryValues, idleA: number): Pick<Bank, "timeToEmptyH" | "timeToFullH"> {
  const { currentA, remainingAh, fullChargeAh } = values;
  if (currentA <= -idleA) return { timeToEmptyH: remainingAh / -currentA, timeToFullH: null };
  if (currentA >= idleA)
    return { timeToEmptyH: null, timeToFullH: Math.max(0, fullChargeAh - remainingAh) / currentA };
  return { timeToEmptyH: null, timeToFullH: null };
}

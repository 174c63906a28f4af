/**
 * The `<prefix>/battery/[<id>/]status` JSON snapshot: Accu-Solar's keys (`voltage`, `current`, `soc`, `power`,
 * `temp`, `cells`; docs/mqtt.md) as the single topics print them, plus every decoded field in snake_case.
 * Pure: built from the values and their formatting, both made once per reading.
 */
import { type CellStats, softwareVersionText } from "../../protocol/telemetry.js";
import type { Bank } from "../state/bank.js";
import type { BatteryValues } from "../state/battery-values.js";
import type { BatteryReading } from "../types.js";
import { DECIMALS, type FormattedValues, rounded } from "./format.js";

export type StatusJson = Record<string, unknown>;

function cellStatsJson(values: BatteryValues): StatusJson {
  const stats: CellStats | undefined = values.cellStats;
  if (stats === undefined) return { cell_count: values.cellsMv.length };
  return {
    cell_count: values.cellsMv.length,
    cell_min_v: rounded(stats.minMv / 1000, DECIMALS.cell),
    cell_min_index: stats.minCell,
    cell_max_v: rounded(stats.maxMv / 1000, DECIMALS.cell),
    cell_max_index: stats.maxCell,
    cell_spread_mv: stats.spreadMv,
    // defined whenever the statistics are (battery-values.ts cellFacts; a bank's worst includes this pack)
    health: values.health,
  };
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

export function batteryStatus(
  reading: BatteryReading,
  values: BatteryValues,
  formatted: FormattedValues,
): StatusJson {
  const b = reading.basic;
  const date = b.productionDate;
  const status: StatusJson = {
    ...formatted.accuSolarKeys,
    temperatures: b.temperaturesC.map((c) => rounded(c, DECIMALS.temperature)),
    ...cellStatsJson(values),
    balancing_cells: b.balancingCells,
    balance_raw: b.balanceRaw,
    protection: b.protection,
    protection_raw: b.protectionRaw,
    charge_fet: b.chargeFetOn,
    discharge_fet: b.dischargeFetOn,
    fet_raw: b.fetRaw,
    software_version: softwareVersionText(b.softwareVersionRaw),
    software_version_raw: b.softwareVersionRaw,
    production_date: `${date.year}-${pad2(date.month)}-${pad2(date.day)}`,
  };
  if (reading.model !== undefined) status.model = reading.model;
  if (b.extension !== undefined) {
    status.humidity_pct = b.extension.humidityPct;
    status.alarm_raw = b.extension.alarmRaw;
    status.full_charge_capacity = rounded(b.extension.fullChargeAh, DECIMALS.capacity);
    status.balance_current_raw = b.extension.balanceCurrentRaw;
  }
  status.timestamp = new Date(reading.time).toISOString();
  status.seq = reading.seq;
  status.battery_id = reading.batteryId;
  status.address = reading.address;
  return status;
}

/**
 * The bank as the plain topics show it to a single-pack UI: the bank's sums and means, but the cells (and
 * their statistics) of the pack with the widest spread. Cells of packs in parallel are not one string:
 * all of them together would read pack-to-pack SoC differences as cell imbalance (docs/mqtt.md "The bank").
 */
export function plainBankValues(bank: Bank): BatteryValues {
  const pack = bank.spreadPack.values;
  return { ...bank.values, cellsMv: pack.cellsMv, cellStats: pack.cellStats };
}

/** The bank snapshot on the plain `status` topic when several batteries are configured. */
export function bankStatus(
  bank: Bank,
  formatted: FormattedValues,
  seq: number,
  bridgeId?: string,
): StatusJson {
  const status: StatusJson = { ...formatted.accuSolarKeys, ...cellStatsJson(plainBankValues(bank)) };
  status.battery_id = "bank";
  // `cells` and the cell statistics above are this pack's (plainBankValues in topic-sets.ts)
  status.cells_battery_id = bank.spreadPack.batteryId;
  status.batteries = bank.batteryIds;
  status.batteries_contributing = bank.batteryIds.length;
  status.batteries_configured = bank.configured;
  if (bank.offline.length > 0) status.batteries_offline = bank.offline;
  status.timestamp = new Date(bank.time).toISOString();
  status.seq = seq;
  // which bridge of the site published this bank (the elected one)
  if (bridgeId !== undefined) status.bridge = bridgeId;
  return status;
}

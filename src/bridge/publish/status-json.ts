/**
 * The `<prefix>/battery/[<id>/]status` JSON snapshot: Accu-Solar's keys (`voltage`, `current`, `soc`, `power`,
 * `temp`, `cells`; accu-solar-client §1) rounded exactly like the single topics, plus every decoded field in
 * snake_case. Pure: the publisher passes the reading and its time.
 */
import type { BankTelemetry } from "../state/bank.js";
import type { BatteryReading } from "../types.js";
import { accuSolarKeys, cellHealth, type Health, rounded, type Telemetry } from "./format.js";

export type StatusJson = Record<string, unknown>;

function cellStatsJson(cellsMv: readonly number[]): StatusJson {
  const stats = cellHealth(cellsMv);
  if (stats === undefined) return { cell_count: 0 };
  return {
    cell_count: cellsMv.length,
    cell_min_v: rounded(stats.minMv / 1000, 3),
    cell_min_index: stats.minCell,
    cell_max_v: rounded(stats.maxMv / 1000, 3),
    cell_max_index: stats.maxCell,
    cell_spread_mv: stats.spreadMv,
    health: stats.health,
  };
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** jbd-protocol §3: the version byte is two nibbles (0x10 → "1.0"); the raw byte is kept too (§3.1). */
function softwareVersion(raw: number): string {
  return `${raw >> 4}.${raw & 0x0f}`;
}

export function batteryStatus(reading: BatteryReading, t: Telemetry): StatusJson {
  const b = reading.basic;
  const date = b.productionDate;
  const status: StatusJson = {
    ...accuSolarKeys(t),
    temperatures: b.temperaturesC.map((c) => rounded(c, 1)),
    ...cellStatsJson(t.cellsMv),
    balancing_cells: b.balancingCells,
    balance_raw: b.balanceRaw,
    protection: b.protection,
    protection_raw: b.protectionRaw,
    charge_fet: b.chargeFetOn,
    discharge_fet: b.dischargeFetOn,
    fet_raw: b.fetRaw,
    software_version: softwareVersion(b.softwareVersionRaw),
    software_version_raw: b.softwareVersionRaw,
    production_date: `${date.year}-${pad2(date.month)}-${pad2(date.day)}`,
  };
  if (reading.model !== undefined) status.model = reading.model;
  if (b.extension !== undefined) {
    status.humidity_pct = b.extension.humidityPct;
    status.alarm_raw = b.extension.alarmRaw;
    status.full_charge_capacity = rounded(b.extension.fullChargeAh, 1);
    status.balance_current_raw = b.extension.balanceCurrentRaw;
  }
  status.timestamp = new Date(reading.time).toISOString();
  status.seq = reading.seq;
  status.battery_id = reading.batteryId;
  status.address = reading.address;
  return status;
}

/** The bank snapshot on the plain `status` topic when several batteries are configured. */
export function bankStatus(bank: BankTelemetry, health: Health | undefined, seq: number): StatusJson {
  const status: StatusJson = { ...accuSolarKeys(bank), ...cellStatsJson(bank.cellsMv) };
  // The bank's health is the worst battery's, not the spread across batteries (seed health is per pack).
  if (health !== undefined) status.health = health;
  status.battery_id = "bank";
  status.batteries = bank.contributing;
  status.batteries_contributing = bank.contributing.length;
  status.batteries_configured = bank.configured;
  status.timestamp = new Date(bank.time).toISOString();
  status.seq = seq;
  return status;
}

/**
 * Frame -> plain JSON object: the public `bms-bridge decode --json` contract (docs/cli-decode.md).
 * Wire keys are snake_case with SI units; one object per frame or rejected run, in stream order.
 */
import { toHex } from "./bytes.js";
import { ALARM_FLAGS, type BasicInfo, flagNames, formatProductionDate } from "./registers/basic-info.js";
import { type DecodedResponse, decodeResponse } from "./registers/index.js";
import { describeStatus } from "./status.js";
import { cellStats, powerW } from "./telemetry.js";
import type { AssemblerItem } from "./types.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type DescribedItem = { [key: string]: JsonValue };

/** Power is V (2 decimals) x A (2 decimals): 4 decimals hold it exactly, the rest is float noise. */
const round4 = (value: number) => Math.round(value * 1e4) / 1e4;

export function describeItem(item: AssemblerItem): DescribedItem {
  const base = { kind: item.kind, hex: toHex(item.bytes) };
  switch (item.kind) {
    case "invalid":
      return { ...base, register: null, status: null, valid: false, error: item.error };
    case "module":
      return {
        ...base,
        register: null,
        status: null,
        valid: true,
        cmd: item.cmd,
        data_hex: toHex(item.data),
      };
    case "request":
      return {
        ...base,
        register: item.register,
        status: null,
        valid: true,
        op: item.op,
        data_hex: toHex(item.data),
      };
    default: {
      const head = { ...base, register: item.register, status: item.status, valid: true };
      const decoded = decodeResponse(item);
      if (!decoded.ok) return { ...head, decode_error: decoded.error.message, data_hex: toHex(item.data) };
      return { ...head, ...describeResponse(decoded.value) };
    }
  }
}

function describeResponse(response: DecodedResponse): DescribedItem {
  switch (response.type) {
    case "basic_info":
      return describeBasicInfo(response.value);
    case "cell_voltages": {
      const stats = cellStats(response.value.cellsMv);
      return {
        cell_count: response.value.cellsMv.length,
        cell_voltages_mv: response.value.cellsMv,
        min_mv: stats?.minMv ?? null,
        max_mv: stats?.maxMv ?? null,
        delta_mv: stats?.spreadMv ?? null,
      };
    }
    case "hardware_version":
    case "eeprom_string":
      return { text: response.value.text };
    case "error_counters":
      return { counters: response.value.counters as { [key: string]: number } };
    case "parameter":
      return { raw_u16: response.value.rawU16 };
    case "raw":
      return { data_hex: toHex(response.value.data) };
    // Stryker disable next-line StringLiteral: equivalent: an unmatched case returns undefined, which the caller's spread treats as {}
    case "ack":
      return {};
    case "error_reply":
      return { status_name: response.statusName, status_meaning: describeStatus(response.status).meaning };
  }
}

function describeBasicInfo(info: BasicInfo): DescribedItem {
  const described: DescribedItem = {
    voltage_v: info.voltageV,
    current_a: info.currentA,
    power_w: round4(powerW(info.voltageV, info.currentA)),
    remaining_capacity_ah: info.remainingAh,
    nominal_capacity_ah: info.nominalAh,
    soc_pct: info.socPct,
    cycles: info.cycles,
    production_date: formatProductionDate(info.productionDate),
    balance_raw: info.balanceRaw,
    balancing_cells: info.balancingCells,
    protection_raw: info.protectionRaw,
    protection: info.protection,
    software_version_raw: info.softwareVersionRaw,
    fet_raw: info.fetRaw,
    charge_fet_on: info.chargeFetOn,
    discharge_fet_on: info.dischargeFetOn,
    cell_count: info.cellCount,
    ntc_count: info.temperaturesC.length,
    temperatures_c: info.temperaturesC,
  };
  const ext = info.extension;
  if (ext) {
    described.extension = {
      humidity_pct: ext.humidityPct,
      alarm_raw: ext.alarmRaw,
      alarms: flagNames(ext.alarmRaw, ALARM_FLAGS),
      full_charge_capacity_ah: ext.fullChargeAh,
      remaining_capacity_ah: ext.remainingAh,
      balance_current_raw: ext.balanceCurrentRaw,
    };
  }
  return described;
}

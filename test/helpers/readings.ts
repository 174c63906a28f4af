/** Builds BatteryReadings for bridge-feature tests without going through the codec. */

import type { BatteryReading } from "../../src/bridge/types.js";
import type { BasicInfo } from "../../src/protocol/registers/basic-info.js";

export interface ReadingSpec {
  batteryId?: string;
  address?: string;
  seq?: number;
  time: number;
  voltageV?: number;
  currentA?: number;
  socPct?: number;
  remainingAh?: number;
  nominalAh?: number;
  fullChargeAh?: number;
  cellsMv?: number[];
  temperaturesC?: number[];
  protectionRaw?: number;
  balanceRaw?: number;
  fetRaw?: number;
  softwareVersionRaw?: number;
  model?: string;
}

const PROTECTION_NAMES = [
  "cell_overvoltage",
  "cell_undervoltage",
  "pack_overvoltage",
  "pack_undervoltage",
  "charge_overtemperature",
  "charge_undertemperature",
  "discharge_overtemperature",
  "discharge_undertemperature",
  "charge_overcurrent",
  "discharge_overcurrent",
  "short_circuit",
  "frontend_ic_error",
  "mosfet_software_lock",
  "charge_mosfet_breakdown",
  "discharge_mosfet_breakdown",
];

export function makeReading(spec: ReadingSpec): BatteryReading {
  const cellsMv = spec.cellsMv ?? [3300, 3300, 3300, 3300];
  const balanceRaw = spec.balanceRaw ?? 0;
  const protectionRaw = spec.protectionRaw ?? 0;
  const fetRaw = spec.fetRaw ?? 0x03;
  const basic: BasicInfo = {
    voltageV: spec.voltageV ?? 13.2,
    currentA: spec.currentA ?? 0,
    remainingAh: spec.remainingAh ?? 140,
    nominalAh: spec.nominalAh ?? 280,
    cycles: 27,
    productionDateRaw: 0x2c7c,
    balanceRaw,
    protectionRaw,
    softwareVersionRaw: spec.softwareVersionRaw ?? 0x10,
    socPct: spec.socPct ?? 50,
    fetRaw,
    cellCount: cellsMv.length,
    temperaturesC: spec.temperaturesC ?? [20, 21],
    productionDate: { year: 2022, month: 3, day: 28 },
    balancingCells: cellsMv.map((_, i) => i + 1).filter((cell) => (balanceRaw >> (cell - 1)) & 1),
    protection: PROTECTION_NAMES.filter((_, bit) => (protectionRaw >> bit) & 1),
    chargeFetOn: (fetRaw & 1) === 1,
    dischargeFetOn: (fetRaw & 2) === 2,
    unitFlag: false,
  };
  if (spec.fullChargeAh !== undefined) {
    basic.extension = {
      humidityPct: 0,
      alarmRaw: 0,
      fullChargeAh: spec.fullChargeAh,
      remainingAh: basic.remainingAh,
      balanceCurrentRaw: 0,
    };
  }
  const reading: BatteryReading = {
    batteryId: spec.batteryId ?? "1",
    address: spec.address ?? "A5:C2:37:3C:76:D2",
    seq: spec.seq ?? 1,
    time: spec.time,
    basic,
    cells: { cellsMv },
  };
  if (spec.model !== undefined) reading.model = spec.model;
  return reading;
}

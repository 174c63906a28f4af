/**
 * BatteryReading builders for tests. The default is the first live reading (the Accu-Solar BMS setup guide, "Live Data
 * Confirmed": 13.45 V, 9.93 A, SoC 71 %, Temp 9.0 °C, 27 cycles, 198.4 / 280.0 Ah) on a 4-cell pack.
 */
import type { BatteryReading } from "../bridge/types.js";
import type { BasicInfo } from "../protocol/registers/basic-info.js";

export const SAMPLE_CELLS_MV = [3361, 3362, 3360, 3363];

export function sampleBasicInfo(overrides: Partial<BasicInfo> = {}): BasicInfo {
  return {
    voltageV: 13.45,
    currentA: 9.93,
    remainingAh: 198.4,
    nominalAh: 280,
    cycles: 27,
    productionDateRaw: 0x2c7c,
    productionDate: { year: 2022, month: 3, day: 28 },
    balanceRaw: 0,
    balancingCells: [],
    protectionRaw: 0,
    protection: [],
    softwareVersionRaw: 0x10,
    socPct: 71,
    fetRaw: 0x03,
    chargeFetOn: true,
    dischargeFetOn: true,
    unitFlag: false,
    cellCount: 4,
    temperaturesC: [8.9, 9.1],
    ...overrides,
  };
}

export interface SampleReadingOptions {
  batteryId?: string;
  address?: string;
  seq?: number;
  time?: number;
  cellsMv?: number[];
  basic?: Partial<BasicInfo>;
  model?: string;
}

export function sampleReading(options: SampleReadingOptions = {}): BatteryReading {
  const cellsMv = options.cellsMv ?? SAMPLE_CELLS_MV;
  const reading: BatteryReading = {
    batteryId: options.batteryId ?? "1",
    address: options.address ?? "A5:C2:37:3C:76:D2",
    seq: options.seq ?? 1,
    time: options.time ?? Date.UTC(2026, 1, 22, 13, 5, 57),
    basic: sampleBasicInfo({ cellCount: cellsMv.length, ...options.basic }),
    cells: { cellsMv: [...cellsMv] },
  };
  if (options.model !== undefined) reading.model = options.model;
  return reading;
}

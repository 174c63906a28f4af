/**
 * Flat BatteryReading specs for the energy and bank tests, built on the shared `sampleReading`. The defaults
 * are round numbers (13.2 V, 0 A, SoC 50 %, 140 of 280 Ah) so hand-worked expectations stay simple.
 */
import type { BatteryReading } from "../../src/bridge/types.js";
import type { BasicInfo } from "../../src/protocol/registers/basic-info.js";
import { sampleReading } from "../../src/testing/index.js";

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
  /** Adds the DP04S extension (jbd-protocol §3.2) with this full-charge capacity. */
  fullChargeAh?: number;
  cellsMv?: number[];
}

export function makeReading(spec: ReadingSpec): BatteryReading {
  const remainingAh = spec.remainingAh ?? 140;
  const basic: Partial<BasicInfo> = {
    voltageV: spec.voltageV ?? 13.2,
    currentA: spec.currentA ?? 0,
    socPct: spec.socPct ?? 50,
    remainingAh,
    nominalAh: spec.nominalAh ?? 280,
  };
  if (spec.fullChargeAh !== undefined) {
    basic.extension = {
      humidityPct: 0,
      alarmRaw: 0,
      fullChargeAh: spec.fullChargeAh,
      remainingAh,
      balanceCurrentRaw: 0,
    };
  }
  return sampleReading({
    batteryId: spec.batteryId ?? "1",
    address: spec.address ?? "A5:C2:37:3C:76:D2",
    seq: spec.seq ?? 1,
    time: spec.time,
    cellsMv: spec.cellsMv ?? [3300, 3300, 3300, 3300],
    basic,
  });
}

/**
 * Flat BatteryReading specs for the energy and bank tests, built on the shared `sampleReading`. The defaults
 * are round numbers (13.2 V, 0 A, SoC 50 %, 140 of 280 Ah) so hand-worked expectations stay simple.
 */
import type { BankMember } from "../../src/bridge/state/bank.js";
import { valuesFromReading } from "../../src/bridge/state/battery-values.js";
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
  cycles?: number;
  /** Adds the DP04S extension (docs/protocol.md §3.2) with this full-charge capacity. */
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
    ...(spec.cycles !== undefined && { cycles: spec.cycles }),
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

/** Bank members (keyed by battery id, in the order given) from reading specs. */
export function bankMembers(...specs: Array<ReadingSpec & { batteryId: string }>): Map<string, BankMember> {
  return new Map(
    specs.map((spec) => [spec.batteryId, { time: spec.time, values: valuesFromReading(makeReading(spec)) }]),
  );
}

/**
 * Three batteries in parallel, discharging at 29.5 A in all; battery 2 reports a full-charge capacity of
 * 270 Ah (nominal 280) and a 60 mV cell spread (Warning). Battery 2 was read `laterMs` after the others.
 */
export function threeBatteries(time: number, laterMs = 0): Map<string, BankMember> {
  return bankMembers(
    {
      batteryId: "1",
      time,
      voltageV: 13.2,
      currentA: -20,
      socPct: 60,
      remainingAh: 168,
      cellsMv: [3300, 3310, 3305, 3295],
    },
    {
      batteryId: "2",
      time: time + laterMs,
      voltageV: 13.3,
      currentA: -10,
      socPct: 70,
      remainingAh: 196,
      fullChargeAh: 270,
      cellsMv: [3320, 3380, 3330, 3325],
    },
    {
      batteryId: "3",
      time,
      voltageV: 13.26,
      currentA: 0.5,
      socPct: 62,
      remainingAh: 170,
      cellsMv: [3310, 3312, 3311, 3313],
    },
  );
}

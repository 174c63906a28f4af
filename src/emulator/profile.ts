/**
 * A battery profile is data: identity strings, pack layout, cell properties, thermal constants and the
 * BMS settings (protection thresholds, balancing). Scenarios override parts of it; `resolveProfile`
 * merges overrides over DEFAULT_PROFILE (objects deeply, arrays and scalars replaced).
 */

/** One cell's physical properties. */
export interface CellProfile {
  capacityAh: number;
  /** Offset of this cell's starting state of charge from the pack's, in percent points. */
  socOffsetPct: number;
  /** Effective DC resistance including short-term polarisation, mΩ. */
  resistanceMohm: number;
  /** Self-discharge, percent of capacity per day (a weak cell drifts away from the others). */
  selfDischargePctPerDay: number;
}

/** Protection settings in SI units; they become the EEPROM parameters 0x18–0x3F (docs/protocol.md §6). */
export interface ProtectionProfile {
  cellOvervoltageMv: number;
  cellOvervoltageReleaseMv: number;
  cellUndervoltageMv: number;
  cellUndervoltageReleaseMv: number;
  packOvervoltageV: number;
  packOvervoltageReleaseV: number;
  packUndervoltageV: number;
  packUndervoltageReleaseV: number;
  chargeOvertempC: number;
  chargeOvertempReleaseC: number;
  chargeUndertempC: number;
  chargeUndertempReleaseC: number;
  dischargeOvertempC: number;
  dischargeOvertempReleaseC: number;
  dischargeUndertempC: number;
  dischargeUndertempReleaseC: number;
  chargeOvercurrentA: number;
  dischargeOvercurrentA: number;
  /** Seconds a voltage/temperature condition must hold before it trips, and before it releases. */
  tripDelayS: number;
  releaseDelayS: number;
  /** Over-current: seconds above the limit before tripping; seconds until an automatic release. */
  overcurrentDelayS: number;
  overcurrentReleaseS: number;
  /** Short circuit: trips at once above this current (A, either direction); released after a delay. */
  shortCircuitA: number;
  shortCircuitReleaseS: number;
}

export interface BalanceProfile {
  /** Balancing starts only when the highest cell is at or above this voltage (param 0x2A). */
  startMv: number;
  /** ...and a cell is more than this above the lowest cell (param 0x2B). */
  windowMv: number;
  /** Bleed current of one balancing resistor, A. */
  currentA: number;
  /** JBD "chg_balance_en": balance only while charging (param 0x2D bit 3). */
  whileChargingOnly: boolean;
}

export interface BatteryProfile {
  /** BLE advertised name. */
  bleName: string;
  /** Register 0x05 hardware version / model string (plain ASCII, docs/protocol.md §5). */
  model: string;
  /** Registers 0xA0 manufacturer and 0xA2 barcode (length-prefixed strings, docs/protocol.md §5). */
  manufacturer: string;
  barcode: string;
  cellCount: number;
  nominalAh: number;
  /** Ah discharged per counted cycle (param 0x11 "cycle capacity"). */
  cycleCapacityAh: number;
  /**
   * Register 0x03 software version byte: 0x23, as in the real DP04S007 capture
   * (fixtures/frames/jbd-dp04s007l4s100a-ble.json).
   */
  softwareVersionRaw: number;
  /** YYYY-MM-DD; encoded as the 0x03 production date word. */
  productionDate: string;
  /** Newer firmware (DP04S) appends a 9-byte tail after the NTCs (docs/protocol.md §3.2). */
  extensionTail: boolean;
  /** One entry per NTC: its offset from the modelled pack temperature, °C. */
  ntcOffsetsC: number[];
  /** Defaults for every cell; `cells[i]` overrides cell i+1. */
  cell: CellProfile;
  cells: Array<Partial<CellProfile>>;
  initial: {
    remainingAh: number;
    /** A, positive = charging (as on the wire). */
    currentA: number;
    cycles: number;
    temperatureC: number;
    ambientC: number;
  };
  thermal: {
    heatCapacityJPerK: number;
    /** Pack-to-ambient thermal resistance, K/W. */
    thermalResistanceKPerW: number;
  };
  protection: ProtectionProfile;
  balance: BalanceProfile;
  /** Initial 0xAA error counters (11 words, docs/protocol.md §6). */
  errorCounters: number[];
}

/**
 * The user's battery: ECO-Worthy 12 V 280 Ah, JBD DP04S007L4S200A, 4S LiFePO4, one NTC, firmware with the
 * 9-byte 0x03 tail. The starting state is the first reading in the Accu-Solar BMS setup guide (13.45 V, +9.93 A, SoC 71 %,
 * 198.4/280 Ah, 27 cycles, 9.0 °C). The model string is a plausible DP04S-style string, not a capture.
 */
export const DEFAULT_PROFILE: BatteryProfile = {
  bleName: "DP04S007L4S200A",
  model: "JBD-DP04S007-L4S-200A",
  manufacturer: "DGJBD",
  barcode: "",
  cellCount: 4,
  nominalAh: 280,
  cycleCapacityAh: 224,
  softwareVersionRaw: 0x23,
  productionDate: "2024-05-17",
  extensionTail: true,
  ntcOffsetsC: [0],
  cell: { capacityAh: 280, socOffsetPct: 0, resistanceMohm: 2.2, selfDischargePctPerDay: 0.01 },
  cells: [{ resistanceMohm: 2.1 }, {}, { resistanceMohm: 2.3 }, {}],
  initial: { remainingAh: 198.4, currentA: 9.93, cycles: 27, temperatureC: 9, ambientC: 9 },
  thermal: { heatCapacityJPerK: 22_000, thermalResistanceKPerW: 0.25 },
  protection: {
    cellOvervoltageMv: 3650,
    cellOvervoltageReleaseMv: 3450,
    cellUndervoltageMv: 2500,
    cellUndervoltageReleaseMv: 2900,
    packOvervoltageV: 14.6,
    packOvervoltageReleaseV: 13.8,
    packUndervoltageV: 10,
    packUndervoltageReleaseV: 11.6,
    chargeOvertempC: 55,
    chargeOvertempReleaseC: 50,
    chargeUndertempC: 0,
    chargeUndertempReleaseC: 5,
    dischargeOvertempC: 65,
    dischargeOvertempReleaseC: 60,
    dischargeUndertempC: -20,
    dischargeUndertempReleaseC: -15,
    chargeOvercurrentA: 150,
    dischargeOvercurrentA: 200,
    tripDelayS: 2,
    releaseDelayS: 2,
    overcurrentDelayS: 2,
    overcurrentReleaseS: 32,
    shortCircuitA: 800,
    shortCircuitReleaseS: 5,
  },
  balance: { startMv: 3400, windowMv: 30, currentA: 0.06, whileChargingOnly: true },
  errorCounters: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
};

/** A deep partial: what scenarios and callers pass to change a profile. */
export type ProfileOverrides = {
  [K in keyof BatteryProfile]?: BatteryProfile[K] extends unknown[]
    ? BatteryProfile[K]
    : BatteryProfile[K] extends object
      ? Partial<BatteryProfile[K]>
      : BatteryProfile[K];
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return out;
}

/** Merges any number of override layers over the defaults, later layers winning. */
export function resolveProfile(...layers: Array<ProfileOverrides | undefined>): BatteryProfile {
  let merged = DEFAULT_PROFILE as unknown as Record<string, unknown>;
  for (const layer of layers) if (layer) merged = mergeDeep(merged, layer as Record<string, unknown>);
  return merged as unknown as BatteryProfile;
}

/** The effective properties of cell `index` (0-based). */
export function cellProfile(profile: BatteryProfile, index: number): CellProfile {
  return { ...profile.cell, ...profile.cells[index] };
}

/** Production date word of register 0x03: bits 15..9 year−2000, 8..5 month, 4..0 day (docs/protocol.md §3). */
export function productionDateRaw(isoDate: string): number {
  const [year = 2000, month = 1, day = 1] = isoDate.split("-").map(Number);
  return ((year - 2000) << 9) | (month << 5) | day;
}

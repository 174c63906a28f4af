/** Register 0x03: basic info and status (docs: jbd-protocol §3). */

export interface ProductionDate {
  year: number;
  month: number;
  day: number;
}

/** Optional 9-byte tail after the NTCs sent by newer firmware such as DP04S (jbd-protocol §3.2). */
export interface BasicInfoExtension {
  humidityPct: number;
  alarmRaw: number;
  fullChargeAh: number;
  remainingAh: number;
  balanceCurrentRaw: number;
}

/** The raw-ish fields an encoder needs; everything else is derived from them. */
export interface BasicInfoFields {
  /** Pack voltage, V (wire unit 10 mV). */
  voltageV: number;
  /** Current, A; positive = charging, as on the wire (wire unit 10 mA, or 100 mA with the unit flag). */
  currentA: number;
  remainingAh: number;
  nominalAh: number;
  cycles: number;
  productionDateRaw: number;
  /** 32 bits, bit 0 = cell 1 (vendor map; see the note in this file about the disagreement). */
  balanceRaw: number;
  protectionRaw: number;
  softwareVersionRaw: number;
  socPct: number;
  /** FET byte: bit0 charge on, bit1 discharge on, bit7 unit flag (V11). */
  fetRaw: number;
  cellCount: number;
  temperaturesC: number[];
  extension?: BasicInfoExtension;
}

/** What decodeBasicInfo returns: the fields plus values derived from them. */
export interface BasicInfo extends BasicInfoFields {
  productionDate: ProductionDate;
  /** 1-based cell numbers whose balance bit is set. */
  balancingCells: number[];
  /** Names of the protection bits that are set (bits 0-14). */
  protection: string[];
  chargeFetOn: boolean;
  dischargeFetOn: boolean;
  /** FET byte bit 7 (V9+): current in 100 mA and capacities in 100 mAh. Already applied to the values. */
  unitFlag: boolean;
}

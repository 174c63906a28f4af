/** Register 0x03: basic info and status (docs/protocol.md §3). */
import { BmsError } from "../../errors.js";
import { putU16, s16, u16 } from "../bytes.js";
import type { Decoded } from "../types.js";
import { S16_MAX, S16_MIN, toWire, U8_MAX, U16_MAX } from "../wire-value.js";

export interface ProductionDate {
  year: number;
  month: number;
  day: number;
}

/** Optional 9-byte tail after the NTCs sent by newer firmware such as DP04S (docs/protocol.md §3.2). */
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

/** Protection status bits 0-14, index = bit (docs/protocol.md §3). Bit 15 is reserved. */
export const PROTECTION_FLAGS = [
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
] as const;

/**
 * Alarm status bits 0-11 of the extension tail, index = bit (docs/protocol.md §3.2, V11 note 2): bits 0-9 warn of
 * the same conditions as protection bits 0-9, then two alarms of their own.
 */
export const ALARM_FLAGS = [
  ...PROTECTION_FLAGS.slice(0, 10),
  "cell_difference_high",
  "low_capacity",
] as const;

const FET_CHARGE = 0x01;
const FET_DISCHARGE = 0x02;
/** V11: FET byte bit 7 switches current to 100 mA and capacities to 100 mAh (docs/protocol.md §3.1). */
export const FET_UNIT_FLAG = 0x80;
/** 0.1 K with offset 2731: 0 °C = 2731 (docs/protocol.md §3). */
const KELVIN_OFFSET = 2731;
/** Data offsets (docs/protocol.md §3 table). */
const NTC_COUNT_OFFSET = 22;
const NTC_OFFSET = 23;
/** humidity 1 + alarm 2 + full-charge 2 + remaining 2 + balance current 2 (docs/protocol.md §3.2). */
export const EXTENSION_LENGTH = 9;

/** Bits 15..9 = year − 2000, 8..5 = month, 4..0 = day (docs/protocol.md §3: 0x2C7C = 2022-03-28). */
export function decodeProductionDate(raw: number): ProductionDate {
  return { year: 2000 + ((raw >> 9) & 0x7f), month: (raw >> 5) & 0x0f, day: raw & 0x1f };
}

export function encodeProductionDate(date: ProductionDate): number {
  return (((date.year - 2000) & 0x7f) << 9) | ((date.month & 0x0f) << 5) | (date.day & 0x1f);
}

/** "2022-03-28" (no validation: a BMS may report month 0 and we show what it sent). */
export function formatProductionDate(date: ProductionDate): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

/** Names of the set bits, index = bit; bits without a name are left out. */
export function flagNames(raw: number, table: readonly string[]): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < table.length; bit++) if ((raw >>> bit) & 1) names.push(table[bit] as string);
  return names;
}

/**
 * 1-based cells whose balance bit is set, bit 0 = cell 1 (JBD PDF, JBD_REGISTER_MAP.md). Note: the
 * esphome-jbd-bms orders the two balance words the other way round and its cell list is disputed (docs/protocol.md
 * §3.1); no real capture settles it, so we follow the vendor document.
 */
export function balancingCells(balanceRaw: number): number[] {
  const cells: number[] = [];
  for (let bit = 0; bit < 32; bit++) if ((balanceRaw >>> bit) & 1) cells.push(bit + 1);
  return cells;
}

/**
 * Decodes the 0x03 data field. N comes from data[22]; the data length is never assumed. If 9 or more
 * bytes follow the NTCs, the first 9 are the extension of docs/protocol.md §3.2. A tail of 1-8 bytes matches no known
 * layout and is ignored (not an error), as are bytes after the extension.
 */
export function decodeBasicInfo(data: Uint8Array): Decoded<BasicInfo> {
  if (data.length < NTC_OFFSET) return invalid(`0x03 data is ${data.length} bytes; at least 23 needed`, data);
  const ntcCount = data[NTC_COUNT_OFFSET] as number;
  const tailOffset = NTC_OFFSET + 2 * ntcCount;
  if (data.length < tailOffset) {
    return invalid(`0x03 announces ${ntcCount} NTCs but has ${data.length} bytes`, data);
  }
  const fetRaw = data[20] as number;
  const unitFlag = (fetRaw & FET_UNIT_FLAG) !== 0;
  const currentUnit = unitFlag ? 10 : 100; // divisor: 100 mA or 10 mA steps
  const balanceRaw = ((u16(data, 14) << 16) | u16(data, 12)) >>> 0;
  const protectionRaw = u16(data, 16);
  const productionDateRaw = u16(data, 10);
  const temperaturesC: number[] = [];
  for (let i = 0; i < ntcCount; i++) temperaturesC.push((u16(data, NTC_OFFSET + 2 * i) - KELVIN_OFFSET) / 10);
  const value: BasicInfo = {
    voltageV: u16(data, 0) / 100,
    currentA: s16(data, 2) / currentUnit,
    remainingAh: u16(data, 4) / currentUnit,
    nominalAh: u16(data, 6) / currentUnit,
    cycles: u16(data, 8),
    productionDateRaw,
    balanceRaw,
    protectionRaw,
    softwareVersionRaw: data[18] as number,
    socPct: data[19] as number,
    fetRaw,
    cellCount: data[21] as number,
    temperaturesC,
    productionDate: decodeProductionDate(productionDateRaw),
    balancingCells: balancingCells(balanceRaw),
    protection: flagNames(protectionRaw, PROTECTION_FLAGS),
    chargeFetOn: (fetRaw & FET_CHARGE) !== 0,
    dischargeFetOn: (fetRaw & FET_DISCHARGE) !== 0,
    unitFlag,
  };
  if (data.length - tailOffset >= EXTENSION_LENGTH) {
    value.extension = decodeExtension(data, tailOffset, currentUnit);
  }
  return { ok: true, value };
}

/** The unit flag speaks of "capacities", so it is applied to the extension's capacities too. */
function decodeExtension(data: Uint8Array, at: number, capacityUnit: number): BasicInfoExtension {
  return {
    humidityPct: data[at] as number,
    alarmRaw: u16(data, at + 1),
    fullChargeAh: u16(data, at + 3) / capacityUnit,
    remainingAh: u16(data, at + 5) / capacityUnit,
    // Unit and sign unresolved (docs/protocol.md §3.2: 0x8110 seen once), so only the raw word is exposed.
    balanceCurrentRaw: u16(data, at + 7),
  };
}

/** Encodes the 0x03 data field (inverse of decodeBasicInfo; values saturate to the wire range). */
export function encodeBasicInfo(fields: BasicInfoFields): Uint8Array {
  const temps = fields.temperaturesC;
  if (temps.length > U8_MAX) throw new BmsError("ENCODE_INVALID", `${temps.length} NTCs; at most 255`);
  const tailOffset = NTC_OFFSET + 2 * temps.length;
  const out = new Uint8Array(tailOffset + (fields.extension ? EXTENSION_LENGTH : 0));
  const fetRaw = toWire("fetRaw", fields.fetRaw, 1, 0, U8_MAX);
  const unit = fetRaw & FET_UNIT_FLAG ? 0.1 : 0.01; // A and Ah per wire step
  putU16(out, 0, toWire("voltageV", fields.voltageV, 0.01, 0, U16_MAX));
  putU16(out, 2, toWire("currentA", fields.currentA, unit, S16_MIN, S16_MAX) & 0xffff);
  putU16(out, 4, toWire("remainingAh", fields.remainingAh, unit, 0, U16_MAX));
  putU16(out, 6, toWire("nominalAh", fields.nominalAh, unit, 0, U16_MAX));
  putU16(out, 8, toWire("cycles", fields.cycles, 1, 0, U16_MAX));
  putU16(out, 10, toWire("productionDateRaw", fields.productionDateRaw, 1, 0, U16_MAX));
  const balanceRaw = toWire("balanceRaw", fields.balanceRaw, 1, 0, 0xffffffff);
  putU16(out, 12, balanceRaw & 0xffff);
  putU16(out, 14, Math.floor(balanceRaw / 0x10000));
  putU16(out, 16, toWire("protectionRaw", fields.protectionRaw, 1, 0, U16_MAX));
  out[18] = toWire("softwareVersionRaw", fields.softwareVersionRaw, 1, 0, U8_MAX);
  out[19] = toWire("socPct", fields.socPct, 1, 0, U8_MAX);
  out[20] = fetRaw;
  out[21] = toWire("cellCount", fields.cellCount, 1, 0, U8_MAX);
  out[22] = temps.length;
  temps.forEach((celsius, i) => {
    putU16(out, NTC_OFFSET + 2 * i, toWire("temperaturesC", celsius * 10 + KELVIN_OFFSET, 1, 0, U16_MAX));
  });
  if (fields.extension) encodeExtension(out, tailOffset, fields.extension, unit);
  return out;
}

function encodeExtension(out: Uint8Array, at: number, ext: BasicInfoExtension, unit: number): void {
  out[at] = toWire("humidityPct", ext.humidityPct, 1, 0, U8_MAX);
  putU16(out, at + 1, toWire("alarmRaw", ext.alarmRaw, 1, 0, U16_MAX));
  putU16(out, at + 3, toWire("fullChargeAh", ext.fullChargeAh, unit, 0, U16_MAX));
  putU16(out, at + 5, toWire("remainingAh", ext.remainingAh, unit, 0, U16_MAX));
  putU16(out, at + 7, toWire("balanceCurrentRaw", ext.balanceCurrentRaw, 1, 0, U16_MAX));
}

function invalid(message: string, data: Uint8Array): Decoded<never> {
  return {
    ok: false,
    error: new BmsError("DECODE_INVALID", message, { register: 0x03, length: data.length }),
  };
}

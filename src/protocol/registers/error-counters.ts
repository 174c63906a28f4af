/**
 * Register 0xAA: protection event counters, U16 each (docs/protocol.md §6). 11 words on older firmware;
 * V11 adds a 12th, the system-restart count (data length 24 instead of 22).
 */
import { BmsError } from "../../errors.js";
import { putU16, u16 } from "../bytes.js";
import type { Decoded } from "../types.js";
import { toWire, U16_MAX } from "../wire-value.js";

/** Word order on the wire, index = word (docs/protocol.md §6). */
export const ERROR_COUNTER_NAMES = [
  "short_circuit",
  "charge_overcurrent",
  "discharge_overcurrent",
  "cell_overvoltage",
  "cell_undervoltage",
  "charge_overtemperature",
  "charge_undertemperature",
  "discharge_overtemperature",
  "discharge_undertemperature",
  "pack_overvoltage",
  "pack_undervoltage",
  "system_restart",
] as const;

export type ErrorCounterName = (typeof ERROR_COUNTER_NAMES)[number];

export interface ErrorCounters {
  /** Named counts in wire order; `system_restart` only when the BMS sent the 12th word. */
  counters: Partial<Record<ErrorCounterName, number>>;
}

const SHORT_LENGTH = 22;
const LONG_LENGTH = 24;

export function decodeErrorCounters(data: Uint8Array): Decoded<ErrorCounters> {
  if (data.length !== SHORT_LENGTH && data.length !== LONG_LENGTH) {
    return {
      ok: false,
      error: new BmsError("DECODE_INVALID", `0xAA data is ${data.length} bytes; expected 22 or 24`, {
        register: 0xaa,
        length: data.length,
      }),
    };
  }
  const counters: Partial<Record<ErrorCounterName, number>> = {};
  ERROR_COUNTER_NAMES.slice(0, data.length / 2).forEach((name, word) => {
    counters[name] = u16(data, 2 * word);
  });
  return { ok: true, value: { counters } };
}

/** 24 bytes when `system_restart` is given, else 22; a missing basic counter is sent as 0. */
export function encodeErrorCounters(value: ErrorCounters): Uint8Array {
  const words = value.counters.system_restart === undefined ? SHORT_LENGTH / 2 : LONG_LENGTH / 2;
  const names = ERROR_COUNTER_NAMES.slice(0, words);
  const out = new Uint8Array(names.length * 2);
  names.forEach((name, word) => {
    putU16(out, 2 * word, toWire(name, value.counters[name] ?? 0, 1, 0, U16_MAX));
  });
  return out;
}

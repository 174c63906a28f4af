/**
 * EEPROM parameter registers (0x10-0x9F): each read returns one big-endian word (docs/protocol.md §6).
 * Units differ per register (mV, 10 mV, 10 mA signed, 0.1 K, …), so the codec keeps the raw word.
 */
import { BmsError } from "../../errors.js";
import { putU16, u16 } from "../bytes.js";
import type { Decoded } from "../types.js";
import { toWire, U16_MAX } from "../wire-value.js";

export const PARAMETER_FIRST = 0x10;
export const PARAMETER_LAST = 0x9f;

export interface ParameterValue {
  rawU16: number;
}

export function isParameterRegister(register: number): boolean {
  return register >= PARAMETER_FIRST && register <= PARAMETER_LAST;
}

export function decodeParameter(data: Uint8Array): Decoded<ParameterValue> {
  if (data.length !== 2) {
    return {
      ok: false,
      error: new BmsError("DECODE_INVALID", `parameter data is ${data.length} bytes; expected 2`, {
        length: data.length,
      }),
    };
  }
  return { ok: true, value: { rawU16: u16(data, 0) } };
}

export function encodeParameter(value: ParameterValue): Uint8Array {
  const out = new Uint8Array(2);
  putU16(out, 0, toWire("rawU16", value.rawU16, 1, 0, U16_MAX));
  return out;
}

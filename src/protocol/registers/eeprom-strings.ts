/**
 * Registers 0xA0 (manufacturer), 0xA1 (device name), 0xA2 (barcode): EEPROM strings that, unlike 0x05,
 * carry an inner length byte before the text, e.g. `05 "DGJBD"`; `00` = empty (docs/protocol.md §5).
 */
import { BmsError } from "../../errors.js";
import type { Decoded } from "../types.js";
import { bytesToText, textToBytes } from "./text.js";

export const EEPROM_STRING_REGISTERS: Readonly<Record<number, string>> = {
  160: "manufacturer",
  161: "device_name",
  162: "barcode",
};

export interface EepromString {
  text: string;
}

/** Bytes after the announced text (none seen in captures) are ignored. */
export function decodeEepromString(data: Uint8Array): Decoded<EepromString> {
  const length = data[0];
  if (length === undefined || length > data.length - 1) {
    return {
      ok: false,
      error: new BmsError(
        "DECODE_INVALID",
        `EEPROM string announces ${length ?? "no"} bytes but ${Math.max(0, data.length - 1)} follow`,
        { length: data.length },
      ),
    };
  }
  return { ok: true, value: { text: bytesToText(data.subarray(1, 1 + length)) } };
}

export function encodeEepromString(value: EepromString): Uint8Array {
  const text = textToBytes(value.text, 254);
  const out = new Uint8Array(text.length + 1);
  out[0] = text.length;
  out.set(text, 1);
  return out;
}

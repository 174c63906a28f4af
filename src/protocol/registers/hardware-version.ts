/**
 * Register 0x05: hardware version / model. Plain ASCII whose length is the frame's length byte: there
 * is NO inner length prefix (docs/protocol.md §5; contrast the EEPROM strings 0xA0-0xA2).
 */
import type { Decoded } from "../types.js";
import { bytesToText, textToBytes } from "./text.js";

export interface HardwareVersion {
  text: string;
}

export function decodeHardwareVersion(data: Uint8Array): Decoded<HardwareVersion> {
  return { ok: true, value: { text: bytesToText(data) } };
}

export function encodeHardwareVersion(value: HardwareVersion): Uint8Array {
  return textToBytes(value.text, 255);
}

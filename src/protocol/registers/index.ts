/** Dispatch: register -> decoder, and one tagged union for every response a BMS can send. */
import { describeStatus } from "../status.js";
import type { Decoded, ResponseFrame } from "../types.js";
import { type BasicInfo, decodeBasicInfo } from "./basic-info.js";
import { type CellVoltages, decodeCellVoltages } from "./cell-voltages.js";
import { decodeEepromString, EEPROM_STRING_REGISTERS, type EepromString } from "./eeprom-strings.js";
import { decodeErrorCounters, type ErrorCounters } from "./error-counters.js";
import { decodeHardwareVersion, type HardwareVersion } from "./hardware-version.js";
import { decodeParameter, isParameterRegister, type ParameterValue } from "./parameter.js";

export const REGISTER = {
  basicInfo: 0x03,
  cellVoltages: 0x04,
  hardwareVersion: 0x05,
  manufacturer: 0xa0,
  deviceName: 0xa1,
  barcode: 0xa2,
  errorCounters: 0xaa,
  mosfetControl: 0xe1,
  enterFactory: 0x00,
  exitFactory: 0x01,
} as const;

export type DecodedResponse =
  | { register: number; type: "basic_info"; value: BasicInfo }
  | { register: number; type: "cell_voltages"; value: CellVoltages }
  | { register: number; type: "hardware_version"; value: HardwareVersion }
  | { register: number; type: "eeprom_string"; value: EepromString }
  | { register: number; type: "error_counters"; value: ErrorCounters }
  | { register: number; type: "parameter"; value: ParameterValue }
  /** A register we have no layout for: the data is handed over untouched. */
  | { register: number; type: "raw"; value: { data: Uint8Array } }
  /** Write acknowledged (status 0, no data; docs/protocol.md §7). */
  | { register: number; type: "ack" }
  /** status != 0 (docs/protocol.md §2). */
  | { register: number; type: "error_reply"; status: number; statusName: string; meaning: string };

type Decoder = (register: number, data: Uint8Array) => Decoded<DecodedResponse>;

/** Wraps a register decoder so its value carries the register and type tag. */
function tagged<T, K extends DecodedResponse["type"]>(
  type: K,
  decode: (data: Uint8Array) => Decoded<T>,
): Decoder {
  return (register, data) => {
    const result = decode(data);
    return result.ok
      ? { ok: true, value: { register, type, value: result.value } as DecodedResponse }
      : result;
  };
}

const eepromString = tagged("eeprom_string", decodeEepromString);

export const REGISTER_DECODERS: Readonly<Record<number, Decoder>> = {
  [REGISTER.basicInfo]: tagged("basic_info", decodeBasicInfo),
  [REGISTER.cellVoltages]: tagged("cell_voltages", decodeCellVoltages),
  [REGISTER.hardwareVersion]: tagged("hardware_version", decodeHardwareVersion),
  [REGISTER.manufacturer]: eepromString,
  [REGISTER.deviceName]: eepromString,
  [REGISTER.barcode]: eepromString,
  [REGISTER.errorCounters]: tagged("error_counters", decodeErrorCounters),
};

/**
 * Decodes a response frame from the assembler. Never throws; a data field that does not fit its
 * register's layout is `{ ok: false }` with a DECODE_INVALID error.
 */
export function decodeResponse(frame: ResponseFrame): Decoded<DecodedResponse> {
  const { register } = frame;
  if (frame.kind === "ack") return { ok: true, value: { register, type: "ack" } };
  if (frame.kind === "error_reply") {
    const { name, meaning } = describeStatus(frame.status);
    return {
      ok: true,
      value: { register, type: "error_reply", status: frame.status, statusName: name, meaning },
    };
  }
  const decoder = REGISTER_DECODERS[register];
  if (decoder) return decoder(register, frame.data);
  // Parameters are one word; a parameter register answering otherwise is kept raw, not rejected.
  if (isParameterRegister(register) && frame.data.length === 2) {
    return tagged("parameter", decodeParameter)(register, frame.data);
  }
  return { ok: true, value: { register, type: "raw", value: { data: frame.data } } };
}

export { EEPROM_STRING_REGISTERS };

/**
 * What each register codec says when it cannot decode or encode: the error code, a message naming the
 * problem with its numbers, and the context a log line or `decode --json` carries (src/errors.ts).
 */
import { describe, expect, it } from "vitest";
import { isBmsError } from "../../../src/errors.js";
import { decodeBasicInfo } from "../../../src/protocol/registers/basic-info.js";
import { decodeCellVoltages, encodeCellVoltages } from "../../../src/protocol/registers/cell-voltages.js";
import { encodeEepromString } from "../../../src/protocol/registers/eeprom-strings.js";
import { decodeErrorCounters, encodeErrorCounters } from "../../../src/protocol/registers/error-counters.js";
import { encodeHardwareVersion } from "../../../src/protocol/registers/hardware-version.js";
import { decodeParameter, encodeParameter } from "../../../src/protocol/registers/parameter.js";
import type { Decoded } from "../../../src/protocol/types.js";

function failure(result: Decoded<unknown>): { message: string; context: unknown } {
  if (result.ok) throw new Error("decoded, expected a failure");
  expect(result.error.code).toBe("DECODE_INVALID");
  return { message: result.error.message, context: result.error.context };
}

function thrown(encode: () => unknown): { message: string; context: unknown } {
  try {
    encode();
  } catch (error) {
    if (!isBmsError(error, "ENCODE_INVALID")) throw error;
    return { message: error.message, context: error.context };
  }
  throw new Error("encoded, expected ENCODE_INVALID");
}

describe("register codecs name what is wrong", () => {
  it("decoders: the register, the length they got and what they need", () => {
    expect(failure(decodeBasicInfo(new Uint8Array(22)))).toEqual({
      message: "0x03 data is 22 bytes; at least 23 needed",
      context: { register: 0x03, length: 22 },
    });
    expect(failure(decodeCellVoltages(new Uint8Array(3)))).toEqual({
      message: "0x04 data is 3 bytes; cells are 2 bytes each",
      context: { register: 0x04, length: 3 },
    });
    expect(failure(decodeErrorCounters(new Uint8Array(20)))).toEqual({
      message: "0xAA data is 20 bytes; expected 22 or 24",
      context: { register: 0xaa, length: 20 },
    });
    expect(failure(decodeParameter(new Uint8Array(3)))).toEqual({
      message: "parameter data is 3 bytes; expected 2",
      context: { length: 3 },
    });
  });

  it("encoders: the field that is not a number", () => {
    expect(thrown(() => encodeCellVoltages({ cellsMv: [3300, Number.NaN] })).message).toBe(
      "cellsMv must be a finite number, got NaN",
    );
    expect(thrown(() => encodeParameter({ rawU16: Number.NaN })).message).toBe(
      "rawU16 must be a finite number, got NaN",
    );
    expect(
      thrown(() => encodeErrorCounters({ counters: { short_circuit: Number.NaN } })).context,
    ).toMatchObject({
      field: "short_circuit",
    });
  });

  it("encoders: at most 127 cells, 254 bytes of EEPROM text and 255 of hardware version", () => {
    expect(encodeCellVoltages({ cellsMv: new Array(127).fill(3300) })).toHaveLength(254);
    expect(thrown(() => encodeCellVoltages({ cellsMv: new Array(128).fill(3300) })).message).toBe(
      "128 cells; at most 127 fit in one frame",
    );
    expect(encodeEepromString({ text: "x".repeat(254) })).toHaveLength(255);
    expect(thrown(() => encodeEepromString({ text: "x".repeat(255) })).message).toBe(
      "text is 255 bytes; at most 254 fit",
    );
    expect(encodeHardwareVersion({ text: "x".repeat(255) })).toHaveLength(255);
    expect(thrown(() => encodeHardwareVersion({ text: "é€" })).message).toBe('character "€" is not one byte');
  });
});

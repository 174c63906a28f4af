import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEepromString, encodeEepromString } from "../../../src/protocol/registers/eeprom-strings.js";
import { hex } from "../../support/hex.js";

describe("EEPROM strings (0xA0-0xA2)", () => {
  it("reads the inner length byte, then the text (0xA0 capture: 05 'DGJBD')", () => {
    expect(decodeEepromString(hex("05 44 47 4A 42 44"))).toEqual({ ok: true, value: { text: "DGJBD" } });
    expect(decodeEepromString(hex("00"))).toEqual({ ok: true, value: { text: "" } });
    expect(decodeEepromString(hex("02 41 42 43"))).toEqual({ ok: true, value: { text: "AB" } });
    // exactly as many bytes as announced
    expect(decodeEepromString(hex("02 41 42"))).toEqual({ ok: true, value: { text: "AB" } });
  });

  it("rejects an empty field or a length that overruns the data", () => {
    // "03 41 42" announces one byte more than follows: the smallest overrun
    for (const data of [new Uint8Array(), hex("05 44 47"), hex("03 41 42"), hex("01")]) {
      const result = decodeEepromString(data);
      expect(!result.ok && result.error.code).toBe("DECODE_INVALID");
    }
  });

  it("says how many bytes were announced and how many followed", () => {
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array(), "EEPROM string announces no bytes but 0 follow"],
      [hex("03 41 42"), "EEPROM string announces 3 bytes but 2 follow"],
    ];
    for (const [data, message] of cases) {
      const result = decodeEepromString(data);
      expect(!result.ok && result.error.message).toBe(message);
      expect(!result.ok && result.error.context).toEqual({ length: data.length });
    }
  });

  it("encodes with the inner length byte and round-trips any text up to 254 bytes", () => {
    expect(encodeEepromString({ text: "DGJBD" })).toEqual(hex("05 44 47 4A 42 44"));
    expect(() => encodeEepromString({ text: "x".repeat(255) })).toThrow(/254/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 254 }), (text) => {
        const data = Uint8Array.from([text.length, ...text]);
        const decoded = decodeEepromString(data);
        expect(decoded.ok && encodeEepromString(decoded.value)).toEqual(data);
      }),
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeErrorCounters,
  ERROR_COUNTER_NAMES,
  encodeErrorCounters,
} from "../../../src/protocol/registers/error-counters.js";
import { hex } from "../../support/hex.js";

describe("error counters (0xAA)", () => {
  it("names 11 words in wire order (22 bytes)", () => {
    const data = hex("00 01 00 02 00 03 00 04 00 05 00 06 00 07 00 08 00 09 00 0A 01 0B");
    expect(decodeErrorCounters(data)).toEqual({
      ok: true,
      value: {
        counters: {
          short_circuit: 1,
          charge_overcurrent: 2,
          discharge_overcurrent: 3,
          cell_overvoltage: 4,
          cell_undervoltage: 5,
          charge_overtemperature: 6,
          charge_undertemperature: 7,
          discharge_overtemperature: 8,
          discharge_undertemperature: 9,
          pack_overvoltage: 10,
          pack_undervoltage: 0x010b, // 267
        },
      },
    });
  });

  it("adds the V11 system-restart count when 24 bytes arrive", () => {
    const data = new Uint8Array(24);
    data.set(hex("12 34"), 22);
    expect(decodeErrorCounters(data)).toMatchObject({
      ok: true,
      value: { counters: { system_restart: 0x1234 } },
    });
  });

  it("rejects any other length", () => {
    for (const length of [0, 20, 23, 26]) {
      const result = decodeErrorCounters(new Uint8Array(length));
      expect(!result.ok && result.error.code).toBe("DECODE_INVALID");
    }
  });

  it("encodes missing basic counters as 0", () => {
    expect(encodeErrorCounters({ counters: { short_circuit: 258 } })).toEqual(
      Uint8Array.from([1, 2, ...new Array(20).fill(0)]),
    );
  });

  it("round-trips 22- and 24-byte data", () => {
    const data = fc.oneof(
      fc.uint8Array({ minLength: 22, maxLength: 22 }),
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
    );
    fc.assert(
      fc.property(data, (bytes) => {
        const decoded = decodeErrorCounters(bytes);
        expect(decoded.ok && Object.keys(decoded.value.counters)).toEqual(
          ERROR_COUNTER_NAMES.slice(0, bytes.length / 2),
        );
        expect(decoded.ok && encodeErrorCounters(decoded.value)).toEqual(bytes);
      }),
    );
  });
});

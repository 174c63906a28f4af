import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeParameter,
  encodeParameter,
  isParameterRegister,
} from "../../../src/protocol/registers/parameter.js";
import { hex } from "../../support/hex.js";

describe("parameter registers", () => {
  it("reads one big-endian word (0x29 DSGOC 0xA628, docs/protocol.md §6)", () => {
    expect(decodeParameter(hex("A6 28"))).toEqual({ ok: true, value: { rawU16: 0xa628 } });
  });

  it("rejects any other length", () => {
    const result = decodeParameter(hex("A6"));
    expect(!result.ok && result.error.code).toBe("DECODE_INVALID");
  });

  it("covers 0x10-0x9F only", () => {
    expect([0x0f, 0x10, 0x9f, 0xa0].map(isParameterRegister)).toEqual([false, true, true, false]);
  });

  it("round-trips every word", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (rawU16) => {
        expect(decodeParameter(encodeParameter({ rawU16 }))).toEqual({ ok: true, value: { rawU16 } });
      }),
    );
  });
});

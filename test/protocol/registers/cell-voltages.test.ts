import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCellVoltages, encodeCellVoltages } from "../../../src/protocol/registers/cell-voltages.js";
import { hex } from "../../support/hex.js";

describe("cell voltages (0x04)", () => {
  it("reads big-endian mV per cell, cell 1 first; 0 mV is valid data", () => {
    // 0x0D77 = 3447 mV, 0x0E10 = 3600 mV, 0x0000 = unconnected cell
    expect(decodeCellVoltages(hex("0D 77 0E 10 00 00"))).toEqual({
      ok: true,
      value: { cellsMv: [3447, 3600, 0] },
    });
    expect(decodeCellVoltages(new Uint8Array())).toEqual({ ok: true, value: { cellsMv: [] } });
  });

  it("rejects an odd data length without throwing", () => {
    const result = decodeCellVoltages(hex("0D 77 0E"));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe("DECODE_INVALID");
  });

  it("encodes, saturating out-of-range values and refusing more than 127 cells", () => {
    expect(encodeCellVoltages({ cellsMv: [3447, 0, 70000] })).toEqual(hex("0D 77 00 00 FF FF"));
    expect(() => encodeCellVoltages({ cellsMv: new Array(128).fill(3300) })).toThrow(/127/);
  });

  it("round-trips any even-length data", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 127 }), (cellsMv) => {
        const data = encodeCellVoltages({ cellsMv });
        expect(data.length).toBe(cellsMv.length * 2);
        expect(decodeCellVoltages(data)).toEqual({ ok: true, value: { cellsMv } });
      }),
    );
  });
});

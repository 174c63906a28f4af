import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALARM_FLAGS,
  balancingCells,
  decodeBasicInfo,
  decodeProductionDate,
  encodeBasicInfo,
  encodeProductionDate,
  formatProductionDate,
  PROTECTION_FLAGS,
} from "../../../src/protocol/registers/basic-info.js";
import { hex } from "../../support/hex.js";

// Hand-built 4S data field, every value worked out from docs/protocol.md §3:
const DATA_4S = hex(
  [
    "05 41", // voltage 0x0541 = 1345 x 10 mV = 13.45 V
    "03 E1", // current 0x03E1 = +993 x 10 mA = +9.93 A (charging)
    "4D 80", // remaining 0x4D80 = 19840 x 10 mAh = 198.40 Ah
    "6D 60", // nominal 0x6D60 = 28000 x 10 mAh = 280.00 Ah
    "00 1B", // cycles 27
    "2C 7C", // date 0x2C7C: year 0x2C7C>>9 = 22, month (>>5)&15 = 3, day &31 = 28 -> 2022-03-28
    "00 05", // balance low: bits 0 and 2 -> cells 1 and 3
    "80 01", // balance high: bits 16 and 31 -> cells 17 and 32
    "50 01", // protection bits 0, 12, 14
    "10", // software version 0x10
    "47", // RSOC 71 %
    "03", // FET: charge and discharge on
    "04", // 4 cells
    "02", // 2 NTCs
    "0B 5B", // 0x0B5B = 2907: (2907 - 2731) / 10 = 17.6 °C
    "0A 99", // 0x0A99 = 2713: (2713 - 2731) / 10 = -1.8 °C
  ].join(" "),
);

describe("decodeBasicInfo", () => {
  it("decodes every field of a 4S frame with 2 NTCs", () => {
    const result = decodeBasicInfo(DATA_4S);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual({
      voltageV: 13.45,
      currentA: 9.93,
      remainingAh: 198.4,
      nominalAh: 280,
      cycles: 27,
      productionDateRaw: 0x2c7c,
      productionDate: { year: 2022, month: 3, day: 28 },
      balanceRaw: 0x80010005,
      balancingCells: [1, 3, 17, 32],
      protectionRaw: 0x5001,
      protection: ["cell_overvoltage", "mosfet_software_lock", "discharge_mosfet_breakdown"],
      softwareVersionRaw: 0x10,
      socPct: 71,
      fetRaw: 0x03,
      chargeFetOn: true,
      dischargeFetOn: true,
      unitFlag: false,
      cellCount: 4,
      temperaturesC: [17.6, -1.8],
    });
  });

  it("reads the current as signed: 0xFF9C is a 1 A discharge (V4/V11 PDFs)", () => {
    const data = DATA_4S.slice();
    data.set(hex("FF 9C"), 2);
    expect(decodeBasicInfo(data)).toMatchObject({ ok: true, value: { currentA: -1 } });
    data.set(hex("80 00"), 2); // most negative: -32768 x 10 mA
    expect(decodeBasicInfo(data)).toMatchObject({ ok: true, value: { currentA: -327.68 } });
  });

  it("applies the unit flag (FET bit 7) to current and capacities: 100 mA / 100 mAh", () => {
    const data = DATA_4S.slice();
    data[20] = 0x81; // unit flag + charge FET only
    const result = decodeBasicInfo(data);
    expect(result).toMatchObject({
      ok: true,
      // 993 x 100 mA = 99.3 A; 19840 x 100 mAh = 1984 Ah; 28000 x 100 mAh = 2800 Ah
      value: { unitFlag: true, currentA: 99.3, remainingAh: 1984, nominalAh: 2800 },
    });
    expect(result).toMatchObject({ value: { chargeFetOn: true, dischargeFetOn: false } });
  });

  it("reads N from data[22] and decodes the 9-byte extension after the NTCs (docs/protocol.md §3.2)", () => {
    const data = new Uint8Array(23 + 2 + 9);
    data.set(DATA_4S.subarray(0, 22));
    data[22] = 1; // one NTC
    data.set(hex("0B A6"), 23); // 0x0BA6 = 2982 -> 25.1 °C
    // humidity 0x32 = 50 %, alarm 0x0C00 = bits 10, 11, full 0x7530 = 30000 -> 300.00 Ah,
    // remaining 0x4D80 -> 198.40 Ah, balance current raw 0x8110
    data.set(hex("32 0C 00 75 30 4D 80 81 10"), 25);
    const result = decodeBasicInfo(data);
    expect(result).toMatchObject({
      ok: true,
      value: {
        temperaturesC: [25.1],
        extension: {
          humidityPct: 50,
          alarmRaw: 0x0c00,
          fullChargeAh: 300,
          remainingAh: 198.4,
          balanceCurrentRaw: 0x8110,
        },
      },
    });
  });

  it("ignores a tail of 1 to 8 bytes after the NTCs (no known layout), and bytes after the extension", () => {
    for (let extra = 1; extra <= 8; extra++) {
      const data = new Uint8Array(DATA_4S.length + extra).fill(0x55);
      data.set(DATA_4S);
      const result = decodeBasicInfo(data);
      expect(result.ok && result.value.extension).toBe(undefined);
      expect(result.ok && result.value.temperaturesC).toEqual([17.6, -1.8]);
    }
    const long = new Uint8Array(DATA_4S.length + 12);
    long.set(DATA_4S);
    long[DATA_4S.length] = 7;
    const result = decodeBasicInfo(long);
    expect(result.ok && result.value.extension?.humidityPct).toBe(7);
  });

  it("accepts the 23-byte minimum with no NTC", () => {
    const data = DATA_4S.slice(0, 23);
    data[22] = 0;
    expect(decodeBasicInfo(data)).toMatchObject({ ok: true, value: { temperaturesC: [] } });
  });

  it("returns DECODE_INVALID instead of throwing when the data is too short", () => {
    const short = decodeBasicInfo(DATA_4S.slice(0, 22));
    expect(short.ok).toBe(false);
    expect(!short.ok && short.error.code).toBe("DECODE_INVALID");
    const missingNtc = decodeBasicInfo(DATA_4S.slice(0, 25)); // announces 2 NTCs, holds 1
    expect(!missingNtc.ok && missingNtc.error.message).toMatch(/2 NTCs/);
  });
});

describe("flag tables", () => {
  it("names protection bits 0-14 and alarm bits 0-11", () => {
    expect(PROTECTION_FLAGS).toHaveLength(15);
    expect(PROTECTION_FLAGS[10]).toBe("short_circuit");
    expect(PROTECTION_FLAGS[12]).toBe("mosfet_software_lock");
    expect(ALARM_FLAGS).toHaveLength(12);
    expect(ALARM_FLAGS[10]).toBe("cell_difference_high");
  });

  it("leaves the reserved protection bit 15 unnamed", () => {
    const data = DATA_4S.slice();
    data.set(hex("80 00"), 16);
    expect(decodeBasicInfo(data)).toMatchObject({
      ok: true,
      value: { protectionRaw: 0x8000, protection: [] },
    });
  });

  it("maps balance bit 0 to cell 1 (vendor map)", () => {
    expect(balancingCells(0)).toEqual([]);
    expect(balancingCells(0b1001)).toEqual([1, 4]);
  });
});

describe("production date", () => {
  it("packs and unpacks year, month and day (0x2C7C = 2022-03-28)", () => {
    expect(decodeProductionDate(0x2c7c)).toEqual({ year: 2022, month: 3, day: 28 });
    expect(encodeProductionDate({ year: 2022, month: 3, day: 28 })).toBe(0x2c7c);
    expect(formatProductionDate({ year: 2022, month: 3, day: 8 })).toBe("2022-03-08");
  });
});

describe("encodeBasicInfo", () => {
  it("reproduces the hand-built frame data", () => {
    const decoded = decodeBasicInfo(DATA_4S);
    if (!decoded.ok) throw decoded.error;
    expect(encodeBasicInfo(decoded.value)).toEqual(DATA_4S);
  });

  it("saturates values outside the wire range like a BMS register", () => {
    const decoded = decodeBasicInfo(DATA_4S);
    if (!decoded.ok) throw decoded.error;
    const data = encodeBasicInfo({ ...decoded.value, currentA: -1000, voltageV: 900, cycles: -3 });
    expect(data.subarray(0, 4)).toEqual(hex("FF FF 80 00"));
    expect(data.subarray(8, 10)).toEqual(hex("00 00"));
  });

  it("throws ENCODE_INVALID on NaN and on more than 255 NTCs", () => {
    const decoded = decodeBasicInfo(DATA_4S);
    if (!decoded.ok) throw decoded.error;
    expect(() => encodeBasicInfo({ ...decoded.value, voltageV: Number.NaN })).toThrow(/voltageV/);
    expect(() => encodeBasicInfo({ ...decoded.value, temperaturesC: new Array(256).fill(0) })).toThrow(
      /^256 NTCs; at most 255$/,
    );
  });

  it("names the field that is not a finite number, in the message and the error's context", () => {
    const decoded = decodeBasicInfo(DATA_4S);
    if (!decoded.ok) throw decoded.error;
    const base = {
      ...decoded.value,
      extension: { humidityPct: 40, alarmRaw: 0, fullChargeAh: 280, remainingAh: 140, balanceCurrentRaw: 0 },
    };
    const top = [
      "voltageV",
      "currentA",
      "remainingAh",
      "nominalAh",
      "cycles",
      "productionDateRaw",
      "balanceRaw",
      "protectionRaw",
      "softwareVersionRaw",
      "socPct",
      "fetRaw",
      "cellCount",
    ] as const;
    const ext = ["humidityPct", "alarmRaw", "fullChargeAh", "remainingAh", "balanceCurrentRaw"] as const;
    const cases: Array<[string, Parameters<typeof encodeBasicInfo>[0]]> = [
      ...top.map((field): [string, typeof base] => [field, { ...base, [field]: Number.NaN }]),
      ...ext.map((field): [string, typeof base] => [
        field,
        { ...base, remainingAh: 1, extension: { ...base.extension, [field]: Number.NaN } },
      ]),
      ["temperaturesC", { ...base, temperaturesC: [20, Number.POSITIVE_INFINITY] }],
    ];
    for (const [field, fields] of cases) {
      let thrown: unknown;
      try {
        encodeBasicInfo(fields);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, field).toMatchObject({ code: "ENCODE_INVALID", context: { field } });
      expect((thrown as Error).message, field).toMatch(new RegExp(`^${field} must be a finite number`));
    }
  });

  it("reads each FET's state from its own bit of the FET byte", () => {
    const states = [0x00, 0x01, 0x02, 0x03].map((fetRaw) => {
      const data = DATA_4S.slice();
      data[20] = fetRaw;
      const decoded = decodeBasicInfo(data);
      return decoded.ok && [decoded.value.chargeFetOn, decoded.value.dischargeFetOn];
    });
    expect(states).toEqual([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]);
  });

  it("encodes 255 NTCs, the most the count byte can say", () => {
    const decoded = decodeBasicInfo(DATA_4S);
    if (!decoded.ok) throw decoded.error;
    const data = encodeBasicInfo({ ...decoded.value, temperaturesC: new Array(255).fill(25) });
    const back = decodeBasicInfo(data);
    expect(back.ok && back.value.temperaturesC).toHaveLength(255);
  });

  it("round-trips every data field over the whole wire value space", () => {
    const field = fc
      .record({
        fixed: fc.uint8Array({ minLength: 22, maxLength: 22 }),
        ntcs: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }),
        extension: fc.option(fc.uint8Array({ minLength: 9, maxLength: 9 }), { nil: undefined }),
      })
      .map(({ fixed, ntcs, extension }) => {
        const data = new Uint8Array(23 + 2 * ntcs.length + (extension ? 9 : 0));
        data.set(fixed);
        data[22] = ntcs.length;
        ntcs.forEach((raw, i) => {
          data[23 + 2 * i] = raw >> 8;
          data[24 + 2 * i] = raw & 0xff;
        });
        if (extension) data.set(extension, 23 + 2 * ntcs.length);
        return data;
      });
    fc.assert(
      fc.property(field, (data) => {
        const decoded = decodeBasicInfo(data);
        expect(decoded.ok).toBe(true);
        if (decoded.ok) expect(encodeBasicInfo(decoded.value)).toEqual(data);
      }),
      { numRuns: 2000 },
    );
  });
});

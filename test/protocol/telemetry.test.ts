import { describe, expect, it } from "vitest";
import {
  cellStats,
  healthForSpread,
  isWorseHealth,
  powerW,
  socFromCapacity,
  softwareVersionText,
  worstHealth,
} from "../../src/protocol/telemetry.js";

describe("telemetry helpers", () => {
  it("computes power with the current's sign (log line in the Accu-Solar BMS setup guide: 13.45 V x 9.93 A = 133.6 W)", () => {
    expect(powerW(13.45, 9.93)).toBeCloseTo(133.5585, 6);
    expect(powerW(13.2, -5)).toBeCloseTo(-66, 6);
  });

  it("finds min, max, mean and spread with 1-based cell indices", () => {
    expect(cellStats([3300, 3280, 3350, 3280])).toEqual({
      minMv: 3280,
      maxMv: 3350,
      meanMv: 3302.5, // (3300 + 3280 + 3350 + 3280) / 4 = 13210 / 4
      spreadMv: 70,
      minCell: 2,
      maxCell: 3,
    });
    expect(cellStats([0, 3300])).toMatchObject({ minMv: 0, minCell: 1, spreadMv: 3300 });
    expect(cellStats([])).toBeUndefined();
  });

  it("grades the spread at the setup guide's integer boundaries: <50 Normal, 50-100 Warning, >100 Critical", () => {
    expect(healthForSpread(0)).toBe("Normal");
    expect(healthForSpread(49)).toBe("Normal");
    expect(healthForSpread(50)).toBe("Warning");
    expect(healthForSpread(100)).toBe("Warning");
    expect(healthForSpread(101)).toBe("Critical");
  });

  it("derives SoC in whole percent, clamped, and refuses a zero nominal capacity", () => {
    expect(socFromCapacity(198.4, 280)).toBe(71); // 70.857 %
    expect(socFromCapacity(105.79, 100)).toBe(100);
    expect(socFromCapacity(-1, 100)).toBe(0);
    expect(socFromCapacity(10, 0)).toBeUndefined();
  });

  it("gives one cell's statistics, and names the first of equal cells", () => {
    expect(cellStats([3301])).toEqual({
      minMv: 3301,
      maxMv: 3301,
      meanMv: 3301,
      spreadMv: 0,
      minCell: 1,
      maxCell: 1,
    });
    expect(cellStats([3300, 3350, 3350, 3300])).toMatchObject({ minCell: 1, maxCell: 2 });
  });

  it("leaves 0 mV cells out with skipZero, still counting indices over every reported cell", () => {
    const cells = [3300, 0, 3200, 3400];
    expect(cellStats(cells, { skipZero: true })).toEqual({
      minMv: 3200,
      maxMv: 3400,
      meanMv: 3300,
      spreadMv: 200,
      minCell: 3,
      maxCell: 4,
    });
    expect(cellStats(cells)).toMatchObject({ minMv: 0, minCell: 2, spreadMv: 3400 });
    expect(cellStats([0, 0], { skipZero: true })).toBeUndefined();
  });

  it("ranks health Critical over Warning over Normal, and finds the worst of several", () => {
    expect(isWorseHealth("Critical", "Warning")).toBe(true);
    expect(isWorseHealth("Warning", "Normal")).toBe(true);
    expect(isWorseHealth("Warning", "Warning")).toBe(false);
    expect(isWorseHealth("Normal", "Critical")).toBe(false);
    expect(worstHealth(["Normal", "Critical", "Warning"])).toBe("Critical");
    expect(worstHealth(["Warning", "Normal"])).toBe("Warning");
    expect(worstHealth(["Normal"])).toBe("Normal");
    expect(worstHealth([])).toBeUndefined();
  });

  it("reads the software version byte as two nibbles", () => {
    expect(softwareVersionText(0x10)).toBe("1.0");
    expect(softwareVersionText(0x2b)).toBe("2.11");
  });
});

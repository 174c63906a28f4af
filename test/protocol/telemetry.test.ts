import { describe, expect, it } from "vitest";
import { cellStats, healthForSpread, powerW, socFromCapacity } from "../../src/protocol/telemetry.js";

describe("telemetry helpers", () => {
  it("computes power with the current's sign (seed log: 13.45 V x 9.93 A = 133.6 W)", () => {
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

  it("grades the spread at the seed's integer boundaries: <50 Normal, 50-100 Warning, >100 Critical", () => {
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
});

import { describe, expect, it } from "vitest";
import {
  breakContinuity,
  type EnergyRules,
  type EnergySample,
  type EnergyTrack,
  integrate,
  splitTrapezoid,
  sumCounters,
  zeroCounters,
} from "../../../../src/bridge/features/energy/energy.js";

const HOUR = 3_600_000;
const rules: EnergyRules = { maxGapMs: 15_000 };

function run(samples: EnergySample[], r: EnergyRules = rules): EnergyTrack {
  let track: EnergyTrack = { counters: zeroCounters() };
  for (const s of samples) track = integrate(track, s, r);
  return track;
}

describe("energy integration", () => {
  it("counts a constant 10 A charge at 13 V over one hour as 10 Ah and 0.13 kWh", () => {
    const samples = Array.from({ length: 721 }, (_, i) => ({ time: i * 5000, voltageV: 13, currentA: 10 }));
    const { counters } = run(samples);
    expect(counters.chargedAh).toBeCloseTo(10, 9);
    expect(counters.chargedKwh).toBeCloseTo(0.13, 9);
    expect(counters.dischargedAh).toBe(0);
    expect(counters.dischargedKwh).toBe(0);
  });

  it("integrates a ramp from 0 to 20 A over half an hour as the triangle 5 Ah", () => {
    const { counters } = run(
      [
        { time: 0, voltageV: 12.5, currentA: 0 },
        { time: HOUR / 2, voltageV: 12.5, currentA: 20 },
      ],
      { maxGapMs: HOUR },
    );
    expect(counters.chargedAh).toBeCloseTo(5, 9);
    expect(counters.chargedKwh).toBeCloseTo(0.0625, 9);
  });

  it("counts a discharge (negative current) as discharged, positive numbers", () => {
    const { counters } = run([
      { time: 0, voltageV: 12, currentA: -50 },
      { time: 6000, voltageV: 12, currentA: -50 },
    ]);
    // 50 A × 6 s = 300 As = 1/12 Ah; × 12 V = 1 Wh.
    expect(counters.dischargedAh).toBeCloseTo(1 / 12, 12);
    expect(counters.dischargedKwh).toBeCloseTo(0.001, 12);
    expect(counters.chargedAh).toBe(0);
  });

  it("splits an interval whose current changes sign at the zero crossing", () => {
    // 10 A → −30 A over 1 h: zero at 0.25 h; charged 0.5·0.25·10 = 1.25 Ah, discharged 0.5·0.75·30 = 11.25 Ah.
    const { counters } = run(
      [
        { time: 0, voltageV: 12, currentA: 10 },
        { time: HOUR, voltageV: 12, currentA: -30 },
      ],
      { maxGapMs: HOUR },
    );
    expect(counters.chargedAh).toBeCloseTo(1.25, 9);
    expect(counters.dischargedAh).toBeCloseTo(11.25, 9);
    expect(counters.chargedKwh).toBeCloseTo(0.015, 9);
    expect(counters.dischargedKwh).toBeCloseTo(0.135, 9);
  });

  it("splitTrapezoid handles the crossing in both directions", () => {
    expect(splitTrapezoid(-10, 30, 1)).toEqual({ positive: 11.25, negative: 1.25 });
    expect(splitTrapezoid(30, -10, 1)).toEqual({ positive: 11.25, negative: 1.25 });
  });

  it("integrates an interval exactly at the gap bound but skips a longer one", () => {
    const atBound = run([
      { time: 0, voltageV: 12, currentA: 36 },
      { time: 15_000, voltageV: 12, currentA: 36 },
    ]);
    expect(atBound.counters.chargedAh).toBeCloseTo(0.15, 12);
    const beyond = run([
      { time: 0, voltageV: 12, currentA: 36 },
      { time: 15_001, voltageV: 12, currentA: 36 },
      { time: 20_001, voltageV: 12, currentA: 36 },
    ]);
    // Only the last 5 s count: 36 A × 5 s = 0.05 Ah.
    expect(beyond.counters.chargedAh).toBeCloseTo(0.05, 12);
  });

  it("does not integrate across an offline period", () => {
    let track = run([
      { time: 0, voltageV: 12, currentA: 36 },
      { time: 5000, voltageV: 12, currentA: 36 },
    ]);
    track = breakContinuity(track);
    track = integrate(track, { time: 10_000, voltageV: 12, currentA: 36 }, rules);
    expect(track.counters.chargedAh).toBeCloseTo(0.05, 12);
    track = integrate(track, { time: 15_000, voltageV: 12, currentA: 36 }, rules);
    expect(track.counters.chargedAh).toBeCloseTo(0.1, 12);
  });

  it("ignores a reading whose time does not move forward", () => {
    const track = run([
      { time: 5000, voltageV: 12, currentA: 36 },
      { time: 5000, voltageV: 12, currentA: 36 },
      { time: 4000, voltageV: 12, currentA: 36 },
    ]);
    expect(track.counters).toEqual(zeroCounters());
  });

  it("sums counters for the bank", () => {
    const a = { chargedKwh: 1, dischargedKwh: 2, chargedAh: 3, dischargedAh: 4 };
    const b = { chargedKwh: 0.5, dischargedKwh: 0.25, chargedAh: 10, dischargedAh: 20 };
    expect(sumCounters([a, b])).toEqual({
      chargedKwh: 1.5,
      dischargedKwh: 2.25,
      chargedAh: 13,
      dischargedAh: 24,
    });
  });
});

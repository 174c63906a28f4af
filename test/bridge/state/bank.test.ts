import { beforeEach, describe, expect, it } from "vitest";
import { type Bank, computeBank } from "../../../src/bridge/state/bank.js";
import { valuesFromReading } from "../../../src/bridge/state/battery-values.js";
import { bankMembers, makeReading, threeBatteries } from "../../support/readings.js";

const T = Date.UTC(2026, 1, 22, 13, 5, 57);

const members = bankMembers;

describe("the bank of batteries in parallel", () => {
  // computed in each test, not once at collection: a mutant is only active while tests run
  let bank: Bank | undefined;
  beforeEach(() => {
    bank = computeBank(threeBatteries(T, 1000), { configured: 4 });
  });

  it("says which batteries counted, how many are configured, and the newest reading time", () => {
    expect(bank?.batteryIds).toEqual(["1", "2", "3"]);
    expect(bank?.configured).toBe(4);
    expect(bank?.offline).toEqual([]);
    expect(bank?.time).toBe(T + 1000);
    expect(computeBank(threeBatteries(T, 1000), { configured: 4, offline: ["4"] })?.offline).toEqual(["4"]);
  });

  it("sums current, power, remaining, nominal and full-charge capacity", () => {
    expect(bank?.values.currentA).toBeCloseTo(-29.5, 9);
    // 13.2·−20 + 13.3·−10 + 13.26·0.5 = −264 − 133 + 6.63
    expect(bank?.values.powerW).toBeCloseTo(-390.37, 9);
    expect(bank?.values.remainingAh).toBe(534);
    expect(bank?.values.nominalAh).toBe(840);
    expect(bank?.values.fullChargeAh).toBe(830); // battery 2 holds 270 Ah when full, not its nominal 280
  });

  it("weights SoC by full-charge capacity: (60·280 + 70·270 + 62·280) / 830", () => {
    expect(bank?.values.socPct).toBeCloseTo(53_060 / 830, 9);
  });

  it("averages the voltage and takes the most-cycled battery's cycles", () => {
    expect(bank?.values.voltageV).toBeCloseTo(39.76 / 3, 9);
    const cycles = computeBank(
      members({ batteryId: "1", time: T, cycles: 27 }, { batteryId: "2", time: T, cycles: 140 }),
      { configured: 2 },
    );
    expect(cycles?.values.cycles).toBe(140);
  });

  it("lists every cell in battery order and finds the extremes by battery and cell number", () => {
    expect(bank?.values.cellsMv).toHaveLength(12);
    expect(bank?.values.cellStats).toMatchObject({ minMv: 3295, minCell: 4, maxMv: 3380, maxCell: 6 });
    expect(bank?.cellMin).toEqual({ batteryId: "1", cell: 4, mv: 3295 });
    expect(bank?.cellMax).toEqual({ batteryId: "2", cell: 2, mv: 3380 });
    expect(bank?.values.cellStats?.spreadMv).toBe(85);
  });

  it("takes the worst battery's health (60 mV spread = Warning), not the spread across batteries", () => {
    expect(bank?.worstHealth).toEqual({ health: "Warning", batteryId: "2" });
    expect(bank?.values.health).toBe("Warning");
  });

  it("measures each battery's deviation from the bank SoC and mean voltage, and the largest", () => {
    const soc = 53_060 / 830;
    expect(bank?.members.map((m) => m.socDeviation)).toEqual([60 - soc, 70 - soc, 62 - soc]);
    expect(bank?.socDeviation).toEqual({ max: 70 - soc, batteryId: "2" });
    expect(bank?.voltageDeviation.batteryId).toBe("1");
    expect(bank?.voltageDeviation.max).toBeCloseTo(39.76 / 3 - 13.2, 9);
  });

  it("estimates time to empty from the remaining capacity at the present discharge current", () => {
    expect(bank?.timeToEmptyH).toBeCloseTo(534 / 29.5, 9);
    expect(bank?.timeToFullH).toBeNull();
  });

  it("estimates time to full against the full-charge capacity, and 0 when remaining exceeds it", () => {
    const charging = (remainingAh: number, fullChargeAh?: number) =>
      computeBank(
        members({
          batteryId: "1",
          time: T,
          currentA: 20,
          remainingAh,
          ...(fullChargeAh !== undefined && { fullChargeAh }),
        }),
        { configured: 1 },
      );
    expect(charging(200)?.timeToFullH).toBe(4);
    expect(charging(200, 260)?.timeToFullH).toBe(3);
    expect(charging(200)?.timeToEmptyH).toBeNull();
    expect(charging(290)?.timeToFullH).toBe(0);
  });

  it("gives no time estimate while the current is below the idle threshold", () => {
    const at = (currentA: number) =>
      computeBank(members({ batteryId: "1", time: T, currentA }), { configured: 1, idleCurrentA: 0.5 });
    expect(at(0.4)?.timeToFullH).toBeNull();
    expect(at(-0.4)?.timeToEmptyH).toBeNull();
    expect(at(0.5)?.timeToFullH).toBe(140 / 0.5);
    expect(at(-0.5)?.timeToEmptyH).toBe(140 / 0.5);
  });

  it("averages the temperature over the batteries that have probes only", () => {
    const withProbes = makeReading({ batteryId: "1", time: T });
    const without = makeReading({ batteryId: "2", time: T });
    without.basic.temperaturesC = [];
    const bankOf = (...readings: Array<typeof without>) =>
      computeBank(new Map(readings.map((r) => [r.batteryId, { time: T, values: valuesFromReading(r) }])), {
        configured: 2,
      });
    expect(bankOf(withProbes, without)?.values.temperatureC).toBe(9);
    expect(bankOf(without)?.values.temperatureC).toBeUndefined();
  });

  it("falls back to a plain SoC mean when no capacity is known", () => {
    const b = computeBank(
      members(
        { batteryId: "1", time: T, socPct: 40, nominalAh: 0 },
        { batteryId: "2", time: T, socPct: 60, nominalAh: 0 },
      ),
      { configured: 2 },
    );
    expect(b?.values.socPct).toBe(50);
  });

  it("leaves 0 mV cells (spare taps) out of the lowest cell and the health", () => {
    const b = computeBank(
      members(
        { batteryId: "1", time: T, cellsMv: [3300, 3310, 3305, 3302] },
        { batteryId: "2", time: T, cellsMv: [0, 3301, 3311, 3305] },
      ),
      { configured: 2 },
    );
    expect(b?.cellMin).toEqual({ batteryId: "1", cell: 1, mv: 3300 });
    expect(b?.values.cellsMv).toContain(0);
    expect(b?.worstHealth?.health).toBe("Normal");
  });

  it("names the first of equal deviations, and the first pack of equal widest spreads for the plain cells", () => {
    const b = computeBank(
      members(
        { batteryId: "1", time: T, socPct: 40, cellsMv: [3300, 3310] },
        { batteryId: "2", time: T, socPct: 60, cellsMv: [3300, 3320] },
        { batteryId: "3", time: T, socPct: 50, cellsMv: [3310, 3330] },
      ),
      { configured: 3 },
    );
    expect(b?.socDeviation).toEqual({ max: 10, batteryId: "1" });
    expect(b?.spreadPack?.batteryId).toBe("2");
  });

  it("leaves a battery whose cells all read 0 mV out of the health and the widest spread", () => {
    const b = computeBank(
      members(
        { batteryId: "1", time: T, cellsMv: [0, 0, 0, 0] },
        { batteryId: "2", time: T, cellsMv: [3300, 3300, 3300, 3300] },
      ),
      { configured: 2 },
    );
    expect(b?.worstHealth).toEqual({ health: "Normal", batteryId: "2" });
    expect(b?.values.health).toBe("Normal");
    // battery 2's spread is 0 mV, still wider than no statistics at all
    expect(b?.spreadPack?.batteryId).toBe("2");
  });

  it("has no cell extremes, health or widest pack other than the first when no cell reads above 0 mV", () => {
    const b = computeBank(
      members({ batteryId: "1", time: T, cellsMv: [0, 0] }, { batteryId: "2", time: T, cellsMv: [0] }),
      { configured: 2 },
    );
    expect(b).toMatchObject({ cellMin: undefined, cellMax: undefined, worstHealth: undefined });
    expect(b?.values.health).toBeUndefined();
    expect(b?.spreadPack?.batteryId).toBe("1");
  });

  it("is undefined when no battery counts", () => {
    expect(computeBank(new Map(), { configured: 2 })).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import type { Telemetry } from "../../../src/bridge/publish/format.js";
import { aggregateBank, type BankMember } from "../../../src/bridge/state/bank.js";

function member(batteryId: string, t: Partial<Telemetry>, time = 1000): BankMember {
  return {
    batteryId,
    time,
    telemetry: {
      voltageV: 13.3,
      currentA: 0,
      socPct: 50,
      powerW: 0,
      temperatureC: 20,
      cycles: 10,
      remainingAh: 140,
      fullAh: 280,
      cellsMv: [3325, 3325, 3325, 3325],
      ...t,
    },
  };
}

describe("parallel bank aggregate", () => {
  const bank = aggregateBank(
    [
      member(
        "1",
        {
          voltageV: 13.4,
          currentA: 10,
          powerW: 134,
          socPct: 80,
          fullAh: 280,
          remainingAh: 224,
          cycles: 27,
          temperatureC: 10,
          cellsMv: [3350, 3351],
        },
        1000,
      ),
      member(
        "2",
        {
          voltageV: 13.2,
          currentA: -4,
          powerW: -52.8,
          socPct: 20,
          fullAh: 100,
          remainingAh: 20,
          cycles: 5,
          temperatureC: 14,
          cellsMv: [3300, 3301],
        },
        2000,
      ),
    ],
    3,
  );

  it("sums current, power and capacities", () => {
    expect(bank?.currentA).toBe(6);
    expect(bank?.powerW).toBeCloseTo(81.2, 9);
    expect(bank?.remainingAh).toBe(244);
    expect(bank?.fullAh).toBe(380);
  });

  it("weights SoC by full capacity: (80×280 + 20×100) / 380", () => {
    expect(bank?.socPct).toBeCloseTo((80 * 280 + 20 * 100) / 380, 9);
  });

  it("averages voltage and temperature", () => {
    expect(bank?.voltageV).toBeCloseTo(13.3, 9);
    expect(bank?.temperatureC).toBe(12);
  });

  it("lists all cells in battery order and says who contributed", () => {
    expect(bank?.cellsMv).toEqual([3350, 3351, 3300, 3301]);
    expect(bank?.contributing).toEqual(["1", "2"]);
    expect(bank?.configured).toBe(3);
    expect(bank?.time).toBe(2000);
  });

  it("reports the most-cycled battery's cycles", () => {
    expect(bank?.cycles).toBe(27);
  });

  it("averages only the batteries that have a temperature probe", () => {
    const b = aggregateBank([member("1", { temperatureC: undefined }), member("2", { temperatureC: 8 })], 2);
    expect(b?.temperatureC).toBe(8);
    const none = aggregateBank([member("1", { temperatureC: undefined })], 1);
    expect(none?.temperatureC).toBeUndefined();
  });

  it("falls back to a plain SoC mean when no capacity is known", () => {
    const b = aggregateBank(
      [member("1", { fullAh: 0, socPct: 40 }), member("2", { fullAh: 0, socPct: 60 })],
      2,
    );
    expect(b?.socPct).toBe(50);
  });

  it("is undefined when nobody contributes", () => {
    expect(aggregateBank([], 2)).toBeUndefined();
  });
});

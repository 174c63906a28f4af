import { describe, expect, it } from "vitest";
import { bankScalars, bankStatusJson } from "../../../../src/bridge/features/bank/bank-payload.js";
import { formatValues } from "../../../../src/bridge/publish/format.js";
import { computeBank } from "../../../../src/bridge/state/bank.js";
import type { BankUpdate } from "../../../../src/bridge/state/bank-tracker.js";
import { bankMembers, type ReadingSpec, threeBatteries } from "../../../support/readings.js";

const T = Date.UTC(2026, 1, 22, 13, 5, 57);

function update(configured: number, ...specs: Array<ReadingSpec & { batteryId: string }>): BankUpdate {
  return { bank: computeBank(bankMembers(...specs), { configured }), configured, time: T };
}

const three = (): BankUpdate => ({
  bank: computeBank(threeBatteries(T), { configured: 4 }),
  configured: 4,
  time: T,
});

describe("bank payloads", () => {
  it("rounds the scalars once and names the batteries behind the extremes", () => {
    expect(bankScalars(three())).toEqual({
      batteries_online: 3,
      batteries_configured: 4,
      current: -29.5,
      power: -390.4,
      voltage_mean: 13.25,
      soc_mean: 63.9, // weighted by full-charge capacity: 53 060 / 830
      remaining_ah: 534,
      full_ah: 830,
      cell_min_v: 3.295,
      cell_min_battery: "1",
      cell_min_index: 4,
      cell_max_v: 3.38,
      cell_max_battery: "2",
      cell_max_index: 2,
      cell_spread_mv: 85,
      soc_max_deviation: 6.1,
      soc_max_deviation_battery: "2",
      voltage_max_deviation: 0.053,
      voltage_max_deviation_battery: "1",
      health_worst: "Warning",
      health_worst_battery: "2",
      time_to_empty_h: 18.1,
      time_to_full_h: null,
    });
  });

  it("puts a row per counting battery and the timestamp in the status JSON", () => {
    const json = bankStatusJson(three());
    expect(json.timestamp).toBe("2026-02-22T13:05:57.000Z");
    expect(json.batteries).toEqual([
      {
        battery_id: "1",
        soc: 60,
        voltage: 13.2,
        current: -20,
        soc_deviation: -3.9,
        voltage_deviation: -0.053,
        cell_spread_mv: 15,
        health: "Normal",
      },
      {
        battery_id: "2",
        soc: 70,
        voltage: 13.3,
        current: -10,
        soc_deviation: 6.1,
        voltage_deviation: 0.047,
        cell_spread_mv: 60,
        health: "Warning",
      },
      {
        battery_id: "3",
        soc: 62,
        voltage: 13.26,
        current: 0.5,
        soc_deviation: -1.9,
        voltage_deviation: 0.007,
        cell_spread_mv: 3,
        health: "Normal",
      },
    ]);
  });

  it("says so with nulls and zero sums when no battery counts", () => {
    const empty = bankScalars({ bank: undefined, configured: 2, time: T });
    expect(empty).toMatchObject({
      batteries_online: 0,
      batteries_configured: 2,
      current: 0,
      remaining_ah: 0,
      voltage_mean: null,
      soc_mean: null,
      cell_min_v: null,
      health_worst: null,
      time_to_empty_h: null,
    });
  });

  it("prints the same bank current as the plain accusolar/battery/current, halfway values included", () => {
    // −0.005 A is exactly halfway: both round half away from zero, to −0.01
    const halfway = update(
      2,
      { batteryId: "a", time: T, currentA: -1.25 },
      { batteryId: "b", time: T, currentA: 1.245 },
    );
    const plain = formatValues(halfway.bank?.values as NonNullable<BankUpdate["bank"]>["values"]).payloads
      .current;
    expect(plain).toBe("-0.01");
    expect(bankScalars(halfway).current).toBe(Number(plain));
  });
});

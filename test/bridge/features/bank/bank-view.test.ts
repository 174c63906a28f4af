import { describe, expect, it } from "vitest";
import { bankScalars, bankStatusJson } from "../../../../src/bridge/features/bank/bank-payload.js";
import { type BankMember, computeBankView } from "../../../../src/bridge/features/bank/bank-view.js";
import { makeReading } from "../../../helpers/readings.js";

const T = Date.UTC(2026, 1, 22, 13, 5, 57);

/** Three online batteries and one offline one whose stale reading must not count. */
function bank(): BankMember[] {
  return [
    {
      batteryId: "1",
      online: true,
      reading: makeReading({
        batteryId: "1",
        time: T,
        voltageV: 13.2,
        currentA: -20,
        socPct: 60,
        remainingAh: 168,
        nominalAh: 280,
        cellsMv: [3300, 3310, 3305, 3295],
      }),
    },
    {
      batteryId: "2",
      online: true,
      reading: makeReading({
        batteryId: "2",
        time: T,
        voltageV: 13.3,
        currentA: -10,
        socPct: 70,
        remainingAh: 196,
        nominalAh: 280,
        fullChargeAh: 270,
        cellsMv: [3320, 3380, 3330, 3325],
      }),
    },
    {
      batteryId: "3",
      online: true,
      reading: makeReading({
        batteryId: "3",
        time: T,
        voltageV: 13.26,
        currentA: 0.5,
        socPct: 62,
        remainingAh: 170,
        nominalAh: 280,
        cellsMv: [3310, 3312, 3311, 3313],
      }),
    },
    {
      batteryId: "4",
      online: false,
      reading: makeReading({
        batteryId: "4",
        time: T - 600_000,
        voltageV: 12,
        currentA: -50,
        socPct: 5,
        remainingAh: 10,
        cellsMv: [2500, 3000, 3000, 3000],
      }),
    },
  ];
}

describe("bank view", () => {
  const view = computeBankView(bank(), 4);

  it("counts online and configured batteries and sums current and power of the online ones", () => {
    expect(view.batteriesOnline).toBe(3);
    expect(view.batteriesConfigured).toBe(4);
    expect(view.currentA).toBeCloseTo(-29.5, 9);
    // 13.2·−20 + 13.3·−10 + 13.26·0.5 = −264 − 133 + 6.63
    expect(view.powerW).toBeCloseTo(-390.37, 9);
  });

  it("finds the lowest and highest cell in the bank with battery and cell index, ignoring offline batteries", () => {
    expect(view.cellMin).toEqual({ batteryId: "1", cell: 4, voltageV: 3.295 });
    expect(view.cellMax).toEqual({ batteryId: "2", cell: 2, voltageV: 3.38 });
    expect(view.cellSpreadMv).toBe(85);
  });

  it("reports each battery's SoC and voltage deviation from the bank mean and the largest one", () => {
    // SoC mean (60 + 70 + 62) / 3 = 64; voltage mean 39.76 / 3 = 13.2533…
    expect(view.socMeanPct).toBe(64);
    expect(view.members.map((m) => m.socDeviation)).toEqual([-4, 6, -2]);
    expect(view.socDeviation).toEqual({ max: 6, batteryId: "2" });
    expect(view.voltageDeviation?.batteryId).toBe("1");
    expect(view.voltageDeviation?.max).toBeCloseTo(13.2533333 - 13.2, 6);
  });

  it("names the worst health and its battery (60 mV spread = Warning)", () => {
    expect(view.worstHealth).toEqual({ health: "Warning", batteryId: "2" });
  });

  it("estimates time to empty from remaining capacity at the present discharge current", () => {
    // 534 Ah remaining / 29.5 A
    expect(view.remainingAh).toBe(534);
    expect(view.fullAh).toBe(830); // battery 2 uses its full-charge capacity (270), not nominal
    expect(view.timeToEmptyH).toBeCloseTo(534 / 29.5, 9);
    expect(view.timeToFullH).toBeNull();
  });

  it("estimates time to full while charging, and 0 when remaining already exceeds full", () => {
    const charging = (remainingAh: number) =>
      computeBankView(
        [
          {
            batteryId: "1",
            online: true,
            reading: makeReading({ time: T, currentA: 20, remainingAh, nominalAh: 280 }),
          },
        ],
        1,
      );
    expect(charging(200).timeToFullH).toBe(4);
    expect(charging(200).timeToEmptyH).toBeNull();
    expect(charging(290).timeToFullH).toBe(0);
  });

  it("gives no time estimate while the current is below the idle threshold", () => {
    const at = (currentA: number) =>
      computeBankView([{ batteryId: "1", online: true, reading: makeReading({ time: T, currentA }) }], 1, {
        idleCurrentA: 0.5,
      });
    expect(at(0.4).timeToFullH).toBeNull();
    expect(at(-0.4).timeToEmptyH).toBeNull();
    expect(at(0.5).timeToFullH).toBe(140 / 0.5);
    expect(at(-0.5).timeToEmptyH).toBe(140 / 0.5);
  });

  it("is empty but well-formed with no online battery", () => {
    const empty = computeBankView([{ batteryId: "1", online: false }], 1);
    expect(empty).toMatchObject({
      batteriesOnline: 0,
      currentA: 0,
      cellMin: null,
      socMeanPct: null,
      worstHealth: null,
      timeToEmptyH: null,
    });
  });

  it("skips 0 mV cells (unconnected taps) when looking for the lowest cell", () => {
    const v = computeBankView(
      [{ batteryId: "1", online: true, reading: makeReading({ time: T, cellsMv: [0, 3300, 3310, 3305] }) }],
      1,
    );
    expect(v.cellMin).toEqual({ batteryId: "1", cell: 2, voltageV: 3.3 });
  });
});

describe("bank payloads", () => {
  it("rounds the scalars once and uses null where there is no value", () => {
    const scalars = bankScalars(computeBankView(bank(), 4));
    expect(scalars).toMatchObject({
      batteries_online: 3,
      batteries_configured: 4,
      current: -29.5,
      power: -390.4,
      voltage_mean: 13.25,
      soc_mean: 64,
      cell_min_v: 3.295,
      cell_min_battery: "1",
      cell_min_index: 4,
      cell_max_v: 3.38,
      cell_spread_mv: 85,
      soc_max_deviation: 6,
      soc_max_deviation_battery: "2",
      voltage_max_deviation: 0.053,
      health_worst: "Warning",
      health_worst_battery: "2",
      time_to_empty_h: 18.1,
      time_to_full_h: null,
    });
  });

  it("puts a row per online battery and the timestamp in the status JSON", () => {
    const json = bankStatusJson(computeBankView(bank(), 4), T);
    expect(json.timestamp).toBe("2026-02-22T13:05:57.000Z");
    expect(json.batteries).toEqual([
      {
        battery_id: "1",
        soc: 60,
        voltage: 13.2,
        current: -20,
        soc_deviation: -4,
        voltage_deviation: -0.053,
        cell_spread_mv: 15,
        health: "Normal",
      },
      {
        battery_id: "2",
        soc: 70,
        voltage: 13.3,
        current: -10,
        soc_deviation: 6,
        voltage_deviation: 0.047,
        cell_spread_mv: 60,
        health: "Warning",
      },
      {
        battery_id: "3",
        soc: 62,
        voltage: 13.26,
        current: 0.5,
        soc_deviation: -2,
        voltage_deviation: 0.007,
        cell_spread_mv: 3,
        health: "Normal",
      },
    ]);
  });
});

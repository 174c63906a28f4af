/**
 * The `status` JSON a consumer reads (src/bridge/publish/status-json.ts; docs/mqtt.md "status"): a
 * battery's decoded fields beyond Accu-Solar's keys, and the bank's snapshot on the plain topic.
 */
import { describe, expect, it } from "vitest";
import { formatValues } from "../../../src/bridge/publish/format.js";
import { bankStatus, batteryStatus, plainBankValues } from "../../../src/bridge/publish/status-json.js";
import { computeBank } from "../../../src/bridge/state/bank.js";
import { valuesFromReading } from "../../../src/bridge/state/battery-values.js";
import type { BatteryReading } from "../../../src/bridge/types.js";
import { sampleReading } from "../../../src/testing/index.js";
import { bankMembers, threeBatteries } from "../../support/readings.js";

const T = Date.UTC(2026, 1, 22, 13, 5, 57);

function statusOf(reading: BatteryReading) {
  const values = valuesFromReading(reading);
  return batteryStatus(reading, values, formatValues(values));
}

describe("a battery's status JSON", () => {
  it("carries the raw registers next to their decoded forms", () => {
    const status = statusOf(
      sampleReading({
        basic: {
          balanceRaw: 0b101,
          balancingCells: [1, 3],
          protectionRaw: 0x0004,
          protection: ["cell_overvoltage"],
          fetRaw: 0x01,
          chargeFetOn: true,
          dischargeFetOn: false,
          softwareVersionRaw: 0x23,
          productionDate: { year: 2023, month: 11, day: 5 },
        },
      }),
    );
    expect(status).toMatchObject({
      balancing_cells: [1, 3],
      balance_raw: 5,
      protection: ["cell_overvoltage"],
      protection_raw: 4,
      charge_fet: true,
      discharge_fet: false,
      fet_raw: 1,
      software_version: "2.3",
      software_version_raw: 0x23,
      production_date: "2023-11-05",
      cell_count: 4,
    });
  });

  it("adds the extension's fields (DP04S, docs/protocol.md §3.2) only when the BMS sent them", () => {
    const extension = {
      humidityPct: 41,
      alarmRaw: 0x0800,
      fullChargeAh: 271.04,
      remainingAh: 198.4,
      balanceCurrentRaw: 12,
    };
    expect(statusOf(sampleReading({ basic: { extension } }))).toMatchObject({
      humidity_pct: 41,
      alarm_raw: 0x0800,
      full_charge_capacity: 271,
      balance_current_raw: 12,
    });
    const plain = statusOf(sampleReading());
    for (const key of ["humidity_pct", "alarm_raw", "full_charge_capacity", "balance_current_raw", "model"])
      expect(plain, key).not.toHaveProperty(key);
  });

  it("gives only the cell count, no statistics and no health, when every cell reads 0 mV", () => {
    const status = statusOf(sampleReading({ cellsMv: [0, 0, 0, 0] }));
    expect(status.cell_count).toBe(4);
    for (const key of [
      "cell_min_v",
      "cell_min_index",
      "cell_max_v",
      "cell_max_index",
      "cell_spread_mv",
      "health",
    ])
      expect(status, key).not.toHaveProperty(key);
  });

  it("rounds each NTC to one decimal", () => {
    expect(statusOf(sampleReading({ basic: { temperaturesC: [8.94, -1.25] } })).temperatures).toEqual([
      8.9, -1.3,
    ]);
  });
});

describe("the bank's status JSON on the plain topic", () => {
  const status = (bridgeId?: string, offline?: string[]) => {
    const bank = computeBank(threeBatteries(T, 1000), { configured: 4, ...(offline && { offline }) });
    if (bank === undefined) throw new Error("no bank");
    return bankStatus(bank, formatValues(plainBankValues(bank)), 7, bridgeId);
  };

  it("names the batteries, the pack whose cells it shows, the time, the sequence and the bridge", () => {
    expect(status("shed", ["4"])).toMatchObject({
      battery_id: "bank",
      // battery 2 has the widest spread (60 mV): its cells are the plain cells
      cells: [3.32, 3.38, 3.33, 3.325],
      cells_battery_id: "2",
      cell_count: 4,
      cell_spread_mv: 60,
      health: "Warning",
      batteries: ["1", "2", "3"],
      batteries_contributing: 3,
      batteries_configured: 4,
      batteries_offline: ["4"],
      timestamp: new Date(T + 1000).toISOString(),
      seq: 7,
      bridge: "shed",
    });
  });

  it("leaves out the offline list and the bridge when there are none", () => {
    const json = status();
    expect(json).not.toHaveProperty("batteries_offline");
    expect(json).not.toHaveProperty("bridge");
  });

  it("shows the first pack's cells when no pack has a cell above 0 mV", () => {
    const bank = computeBank(
      bankMembers(
        { batteryId: "a", time: T, cellsMv: [0, 0] },
        { batteryId: "b", time: T, cellsMv: [0, 0, 0] },
      ),
      { configured: 2 },
    );
    if (bank === undefined) throw new Error("no bank");
    const json = bankStatus(bank, formatValues(plainBankValues(bank)), 1);
    expect(json).toMatchObject({ cells: [0, 0], cells_battery_id: "a", cell_count: 2 });
    expect(json).not.toHaveProperty("health");
  });
});

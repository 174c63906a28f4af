import { beforeEach, describe, expect, it } from "vitest";
import { fixed, formatValues, publishLogLine } from "../../../src/bridge/publish/format.js";
import { batteryStatus } from "../../../src/bridge/publish/status-json.js";
import { cellFacts, valuesFromReading } from "../../../src/bridge/state/battery-values.js";
import type { BatteryReading } from "../../../src/bridge/types.js";
import { worstHealth } from "../../../src/protocol/telemetry.js";
import { sampleReading } from "../../../src/testing/index.js";

const formatted = (reading: BatteryReading) => formatValues(valuesFromReading(reading));
const payloads = (reading: BatteryReading) => formatted(reading).payloads;
const statusOf = (reading: BatteryReading) =>
  batteryStatus(reading, valuesFromReading(reading), formatted(reading));

describe("Accu-Solar payload formats", () => {
  // built in each test, not at collection: Stryker activates a mutant only while tests run
  const first = () => formatted(sampleReading());

  it("formats the setup guide's first reading exactly as its table shows it", () => {
    expect(first().payloads).toEqual({
      voltage: "13.45",
      current: "9.93",
      soc: "71",
      power: "133.6",
      temperature: "9.0",
      cycles: "27",
      capacity_remain: "198.4",
      capacity_full: "280.0",
      cells: "[3.361, 3.362, 3.36, 3.363]",
    });
  });

  it("prints the original bridge's log line", () => {
    expect(publishLogLine(first())).toBe(
      "Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27",
    );
    expect(publishLogLine(first(), "garage")).toBe(
      "[garage] Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27",
    );
  });

  it("reproduces the original bridge's second log line (10.64 A → 143.1 W)", () => {
    const t = formatted(sampleReading({ basic: { currentA: 10.64 } }));
    expect(publishLogLine(t)).toBe("Published → 13.45V | 10.64A | SoC 71% | 143.1W | Temp 9.0°C | Cycles 27");
  });

  it("signs a discharge current and power negative", () => {
    const p = payloads(sampleReading({ basic: { currentA: -6.04 } }));
    expect(p.current).toBe("-6.04");
    expect(p.power).toBe("-81.2");
  });

  it("omits the temperature when the BMS has no NTC instead of inventing 25.0", () => {
    const reading = sampleReading({ basic: { temperaturesC: [] } });
    expect(payloads(reading).temperature).toBeUndefined();
    expect(publishLogLine(formatted(reading))).toContain("| Temp n/a |");
    expect(statusOf(reading)).not.toHaveProperty("temp");
  });

  it("rounds half away from zero in decimal and never prints -0", () => {
    expect(fixed(1.005, 2)).toBe("1.01");
    expect(fixed(-0.004, 2)).toBe("0.00");
    expect(fixed(0, 2)).toBe("0.00");
    expect(fixed(-0.005, 2)).toBe("-0.01");
    expect(fixed(280, 1)).toBe("280.0");
    expect(fixed(-2.25, 1)).toBe("-2.3");
  });
});

describe("cell health (as the original bridge: Normal < 50 mV, Warning 50-100 mV, Critical > 100 mV)", () => {
  it.each([
    [[3300, 3349], "Normal"],
    [[3300, 3350], "Warning"],
    [[3300, 3400], "Warning"],
    [[3300, 3401], "Critical"],
  ] as const)("cells %j are %s", (cells, health) => {
    expect(cellFacts(cells).health).toBe(health);
  });

  it("finds min, max and their 1-based cell numbers", () => {
    expect(cellFacts([3300, 3420, 3250, 3400])).toMatchObject({
      cellStats: { minMv: 3250, maxMv: 3420, minCell: 3, maxCell: 2, spreadMv: 170 },
      health: "Critical",
    });
  });

  it("leaves 0 mV cells (a spare tap) out of the statistics, counting positions in the full list", () => {
    // 15 of 16 cells wired, as in fixtures/frames jbd-sp25s003-l16s-uart.json: cell 16 reads 0
    const cells = [...Array.from({ length: 15 }, (_, i) => 3300 + i), 0];
    expect(cellFacts(cells)).toMatchObject({
      cellStats: { minMv: 3300, minCell: 1, maxMv: 3314, maxCell: 15, spreadMv: 14 },
      health: "Normal",
    });
    expect(cellFacts([0, 0]).cellStats).toBeUndefined();
    expect(cellFacts([0, 0]).health).toBeUndefined();
  });

  it("takes the worst of several healths", () => {
    expect(worstHealth(["Normal", "Critical", "Warning"])).toBe("Critical");
    expect(worstHealth([])).toBeUndefined();
  });
});

describe("status JSON", () => {
  const reading = sampleReading({ model: "DP04S007L4S200A", seq: 5 });
  let status: ReturnType<typeof statusOf>;
  beforeEach(() => {
    status = statusOf(reading);
  });

  it("carries Accu-Solar's keys as JSON numbers equal to the single topics", () => {
    const p = payloads(reading);
    expect(status.voltage).toBe(Number.parseFloat(p.voltage as string));
    expect(status.current).toBe(9.93);
    expect(status.soc).toBe(71);
    expect(status.power).toBe(133.6);
    expect(status.temp).toBe(9);
    expect(status.cells).toEqual(JSON.parse(p.cells as string));
  });

  it("carries the decoded fields in snake_case", () => {
    expect(status).toMatchObject({
      cycles: 27,
      capacity_remain: 198.4,
      capacity_full: 280,
      temperatures: [8.9, 9.1],
      cell_min_v: 3.36,
      cell_min_index: 3,
      cell_max_v: 3.363,
      cell_max_index: 4,
      cell_spread_mv: 3,
      health: "Normal",
      protection: [],
      balancing_cells: [],
      charge_fet: true,
      discharge_fet: true,
      model: "DP04S007L4S200A",
      software_version: "1.0",
      production_date: "2022-03-28",
      timestamp: "2026-02-22T13:05:57.000Z",
      seq: 5,
      battery_id: "1",
      address: "A5:C2:37:3C:76:D2",
    });
  });
});

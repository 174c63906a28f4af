import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEmulatedBattery, type EmulatedBattery } from "../../src/emulator/battery.js";
import type { BatterySnapshot } from "../../src/emulator/model.js";
import { parseScenario } from "../../src/emulator/scenario.js";
import {
  BUNDLED_SCENARIO_DIR,
  listScenarios,
  loadScenario,
  scenarioBatteryOptions,
} from "../../src/emulator/scenario-files.js";
import { healthForSpread } from "../../src/protocol/telemetry.js";
import { concat, hex, wire } from "./helpers.js";

const TOLERANCE_S = 30;

async function start(name: string): Promise<{ battery: EmulatedBattery; expectAt: Record<string, number> }> {
  const scenario = await loadScenario(name);
  const battery = createEmulatedBattery({ ...(await scenarioBatteryOptions(scenario)), speed: 0 });
  return { battery, expectAt: scenario.expect };
}

/** Runs until `until` holds (sampling every `stepS`), returning the simulated time it first did. */
function firstTime(
  battery: EmulatedBattery,
  until: (s: BatterySnapshot) => boolean,
  limitS: number,
  stepS = 10,
) {
  for (let t = battery.model.timeS; t <= limitS; t += stepS) {
    const snapshot = battery.snapshot();
    if (until(snapshot)) return { t: snapshot.timeS, snapshot };
    battery.advance(stepS);
  }
  throw new Error(`condition not reached within ${limitS} s`);
}

const bit = (n: number) => (s: BatterySnapshot) => (s.protectionRaw & (1 << n)) !== 0;
const cleared = (n: number) => (s: BatterySnapshot) => (s.protectionRaw & (1 << n)) === 0;

describe("bundled scenarios", () => {
  it("all validate and are named after their files", async () => {
    const scenarios = await listScenarios();
    const names = scenarios.map((s) => s.name).sort();
    for (const required of [
      "idle",
      "discharge",
      "charge",
      "imbalance",
      "cell-drift",
      "overtemp",
      "undervoltage",
      "replay",
    ])
      expect(names).toContain(required);
    for (const s of scenarios) expect(s.description.length).toBeGreaterThan(20);
  });

  it("discharge starts at the setup guide's first reading and counts coulombs onward", async () => {
    const { battery, expectAt } = await start("discharge");
    expect(battery.snapshot()).toMatchObject({ voltageV: 13.45, currentA: 9.93, socPct: 71, cycles: 27 });
    battery.advance(10);
    expect(battery.snapshot().currentA).toBe(10.64);
    battery.advance(3710);
    expect(battery.snapshot().socPct).toBe(expectAt.soc_at_3720_s);
  });

  it("imbalance goes Normal → Warning → Critical → cut-off at the documented times", async () => {
    const { battery, expectAt } = await start("imbalance");
    const health = (s: BatterySnapshot) => healthForSpread(s.spreadMv);
    expect(health(battery.snapshot())).toBe("Normal");
    const warning = firstTime(battery, (s) => health(s) !== "Normal", 20_000);
    expect(health(warning.snapshot)).toBe("Warning");
    expect(Math.abs(warning.t - (expectAt.health_warning_at_s as number))).toBeLessThanOrEqual(TOLERANCE_S);
    const critical = firstTime(battery, (s) => health(s) === "Critical", 20_000);
    expect(Math.abs(critical.t - (expectAt.health_critical_at_s as number))).toBeLessThanOrEqual(TOLERANCE_S);
    expect(critical.snapshot.cellsMv.indexOf(Math.min(...critical.snapshot.cellsMv))).toBe(1); // the weak cell 2
    const cutoff = firstTime(battery, bit(1), 20_000);
    expect(Math.abs(cutoff.t - (expectAt.cell_undervoltage_at_s as number))).toBeLessThanOrEqual(TOLERANCE_S);
    expect(cutoff.snapshot.fetRaw & 0b10).toBe(0);
    expect(cutoff.snapshot.currentA).toBe(0);
  });

  it("overtemp trips charge then discharge, and releases them with hysteresis", async () => {
    const { battery, expectAt } = await start("overtemp");
    const near = (t: number, key: string) =>
      expect(Math.abs(t - (expectAt[key] as number))).toBeLessThanOrEqual(TOLERANCE_S);
    const chg = firstTime(battery, bit(4), 10_000);
    near(chg.t, "charge_overtemp_trip_at_s");
    expect(chg.snapshot.fetRaw).toBe(0b10);
    expect(chg.snapshot.temperaturesC[0]).toBeGreaterThanOrEqual(55);
    const dsg = firstTime(battery, bit(6), 10_000);
    near(dsg.t, "discharge_overtemp_trip_at_s");
    expect(dsg.snapshot.fetRaw).toBe(0);
    const dsgRelease = firstTime(battery, cleared(6), 10_000);
    near(dsgRelease.t, "discharge_overtemp_release_at_s");
    expect(dsgRelease.snapshot.temperaturesC[0]).toBeLessThanOrEqual(60);
    expect(dsgRelease.snapshot.protectionRaw & (1 << 4)).not.toBe(0); // 55 > T > 50: charge still held
    const chgRelease = firstTime(battery, cleared(4), 10_000);
    near(chgRelease.t, "charge_overtemp_release_at_s");
    expect(chgRelease.snapshot.temperaturesC[0]).toBeLessThanOrEqual(50);
    expect(chgRelease.snapshot.fetRaw).toBe(0b11);
  });

  it("undervoltage opens the discharge FET and releases only once charged above 2900 mV", async () => {
    const { battery, expectAt } = await start("undervoltage");
    const trip = firstTime(battery, bit(1), 10_000);
    expect(Math.abs(trip.t - (expectAt.cell_undervoltage_at_s as number))).toBeLessThanOrEqual(TOLERANCE_S);
    expect(trip.snapshot).toMatchObject({ fetRaw: 0b01, currentA: 0, remainingAh: 0, socPct: 0 });
    battery.advance(300); // load gone, cells rebound but stay under the release voltage
    expect(battery.snapshot().protectionRaw & 0b10).toBe(0b10);
    const release = firstTime(battery, cleared(1), 10_000);
    expect(Math.abs(release.t - (expectAt.release_at_s as number))).toBeLessThanOrEqual(TOLERANCE_S);
    expect(Math.min(...release.snapshot.cellsMv)).toBeGreaterThanOrEqual(2900);
    expect(release.snapshot.fetRaw).toBe(0b11);
  });

  it("charge tapers in constant voltage and balances the high cell 3 at the top", async () => {
    const { battery } = await start("charge");
    expect(battery.snapshot().currentA).toBe(60);
    const balancing = firstTime(battery, (s) => s.balanceRaw !== 0, 10_000);
    expect(balancing.snapshot.balanceRaw).toBe(1 << 2);
    expect(balancing.snapshot.currentA).toBeGreaterThan(0);
    const taper = firstTime(battery, (s) => s.currentA < 30, 10_000);
    expect(taper.snapshot.voltageV).toBeCloseTo(14.2, 1);
    battery.advance(4 * 3600);
    expect(battery.snapshot()).toMatchObject({ socPct: 100, protectionRaw: 0 });
    expect(battery.snapshot().currentA).toBeLessThan(1);
  });

  it("cell-drift reaches Warning after the documented days", async () => {
    const { battery, expectAt } = await start("cell-drift");
    const warning = firstTime(battery, (s) => healthForSpread(s.spreadMv) !== "Normal", 3_000_000, 600);
    expect(Math.abs(warning.t - (expectAt.health_warning_at_s as number))).toBeLessThanOrEqual(600);
    expect(warning.snapshot.socPct).toBe(71); // the coulomb counter does not see self-discharge
  });

  it("idle rests at the setup guide's first reading with no current", async () => {
    const { battery } = await start("idle");
    battery.advance(3600);
    expect(battery.snapshot()).toMatchObject({
      currentA: 0,
      socPct: 71,
      remainingAh: 198.4,
      protectionRaw: 0,
    });
  });

  it("replay serves the captured DP04S007 frame exactly, in its captured notifications", async () => {
    const { battery } = await start("replay");
    const log = await readFile(join(BUNDLED_SCENARIO_DIR, "captures/dp04s007-ble.log"), "utf8");
    const captured = log
      .split("\n")
      .filter((l) => l.startsWith("RX "))
      .map((l) => hex(l.slice(3)));
    const w = wire(battery);
    const chunks = w.send(hex("DD A5 03 00 FF FD 77"));
    expect(chunks).toEqual(captured);
    expect(w.send(hex("DD A5 03 00 FF FD 77"))).toEqual(captured); // served again for the next poll
    expect(concat(w.send(hex("DD A5 04 00 FF FC 77")))).toEqual(hex("DD 04 80 00 FF 80 77"));
  });

  it("is deterministic for a seed, faults included", async () => {
    const run = async () => {
      const scenario = await loadScenario("imbalance");
      const battery = createEmulatedBattery({
        ...(await scenarioBatteryOptions(scenario)),
        faults: [
          { kind: "drop", probability: 0.3 },
          { kind: "corrupt", probability: 0.2 },
        ],
        seed: 42,
        speed: 0,
      });
      const w = wire(battery);
      for (let i = 0; i < 50; i++) {
        battery.advance(200);
        w.send(hex("DD A5 03 00 FF FD 77"));
      }
      return concat(w.chunks);
    };
    expect(await run()).toEqual(await run());
  });
});

describe("scenario validation", () => {
  it("lists every problem at once", () => {
    const attempt = () =>
      parseScenario(
        {
          name: "broken",
          profile: { nominal_ah: "lots", cell_count: 0, colour: "red", cell: { capacity_ah: -1, spin: 2 } },
          timeline: [
            { at_s: -5, current_a: 3 },
            { at_s: 10, capacity_ah: 100 },
          ],
          faults: ["drop:7", "wobble"],
        },
        "broken.yaml",
      );
    expect(attempt).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    try {
      attempt();
    } catch (error) {
      const problems = (error as { context: { problems: string[] } }).context.problems;
      const text = problems.join("\n");
      expect(text).toContain("profile.nominal_ah");
      expect(text).toContain("colour");
      expect(text).toContain("spin");
      expect(text).toContain("profile.cell.capacity_ah");
      expect(text).toContain("profile.cell_count");
      expect(text).toContain("timeline.0.at_s");
      expect(text).toContain("cell fields need");
      expect(text).toContain('fault "drop:7"');
      expect(text).toContain('fault "wobble"');
      expect(problems.length).toBeGreaterThanOrEqual(9);
    }
  });

  it("turns snake_case keys into the camelCase profile and timeline", () => {
    const scenario = parseScenario(
      {
        name: "x",
        profile: { nominal_ah: 100, thermal: { heat_capacity_j_per_k: 500 }, cells: [{ soc_offset_pct: 2 }] },
        timeline: [{ at_s: 5, cell: 2, capacity_ah: 90, self_discharge_pct_per_day: 1 }],
        faults: ["split:7"],
      },
      "x.yaml",
    );
    expect(scenario.profile).toEqual({
      nominalAh: 100,
      thermal: { heatCapacityJPerK: 500 },
      cells: [{ socOffsetPct: 2 }],
    });
    expect(scenario.timeline).toEqual([
      { atS: 5, cell: 2, cellPatch: { capacityAh: 90, selfDischargePctPerDay: 1 } },
    ]);
    expect(scenario.faults).toEqual([{ kind: "split", value: 7 }]);
  });
});

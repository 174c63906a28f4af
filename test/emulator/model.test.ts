import { describe, expect, it } from "vitest";
import { BatteryModel } from "../../src/emulator/model.js";
import { ocvVolts } from "../../src/emulator/ocv.js";
import { resolveProfile } from "../../src/emulator/profile.js";

const HOUR = 3600;
const bit = (n: number): number => 1 << n;

describe("BatteryModel", () => {
  it("starts at the setup guide's first reading for the default DP04S profile", () => {
    const s = new BatteryModel(resolveProfile()).snapshot();
    // Accu-Solar BMS setup guide: 13.45V | 9.93A | SoC 71% | Temp 9.0°C | Cycles 27, 198.4 of 280 Ah, cells ≈ 3.36 V
    expect(s.voltageV).toBe(13.45);
    expect(s.currentA).toBe(9.93);
    expect(s.socPct).toBe(71);
    expect(s.remainingAh).toBe(198.4);
    expect(s.nominalAh).toBe(280);
    expect(s.cycles).toBe(27);
    expect(s.temperaturesC).toEqual([9]);
    expect(s.cellsMv).toHaveLength(4);
    for (const mv of s.cellsMv) expect(Math.abs(mv - 3360)).toBeLessThan(10);
    expect(Math.round(s.cellsMv.reduce((a, b) => a + b, 0) / 10) / 100).toBe(s.voltageV);
    expect(s.fetRaw).toBe(0b11);
    expect(s.protectionRaw).toBe(0);
  });

  it("counts coulombs: 28 A of discharge for one hour removes 28 Ah and 10 % of 280 Ah", () => {
    const model = new BatteryModel(resolveProfile({ initial: { currentA: 0 } }));
    model.setDemand(-28);
    model.advance(HOUR);
    const s = model.snapshot();
    expect(s.remainingAh).toBeCloseTo(198.4 - 28, 1);
    expect(s.socPct).toBe(61);
    expect(s.currentA).toBe(-28);
  });

  it("counts one cycle per cycle capacity discharged", () => {
    const model = new BatteryModel(
      resolveProfile({ cycleCapacityAh: 50, initial: { currentA: 0, remainingAh: 280 } }),
    );
    model.setDemand(-100);
    model.advance(HOUR * 1.01); // 101 Ah out → two whole cycles of 50 Ah
    expect(model.snapshot().cycles).toBe(29);
  });

  it("pack voltage is the sum of the cells and cells follow the OCV curve at rest", () => {
    const model = new BatteryModel(resolveProfile({ initial: { currentA: 0, remainingAh: 140 } }));
    const s = model.snapshot();
    for (const mv of s.cellsMv) expect(mv).toBe(Math.round(ocvVolts(50) * 1000));
    expect(s.voltageV).toBeCloseTo(s.cellsMv.reduce((a, b) => a + b, 0) / 1000, 2);
  });

  it("heats under current (I²R) and relaxes towards ambient", () => {
    const model = new BatteryModel(resolveProfile({ thermal: { heatCapacityJPerK: 2000 } }));
    model.setDemand(-150);
    model.advance(1800);
    const hot = model.snapshot().temperaturesC[0] as number;
    expect(hot).toBeGreaterThan(12);
    model.setDemand(0);
    model.advance(6 * HOUR);
    expect(model.snapshot().temperaturesC[0]).toBeCloseTo(9, 0);
  });

  it("a weak cell drifts below the others while discharging", () => {
    const model = new BatteryModel(resolveProfile({ cells: [{}, { capacityAh: 200 }, {}, {}] }));
    model.setDemand(-50);
    model.advance(3 * HOUR);
    const cells = model.snapshot().cellsMv;
    expect(cells[1]).toBeLessThan(Math.min(cells[0] as number, cells[2] as number, cells[3] as number));
  });

  it("cell under-voltage opens the discharge FET and releases only above the release voltage", () => {
    const model = new BatteryModel(resolveProfile({ initial: { remainingAh: 20, currentA: 0 } }));
    model.setDemand(-100);
    model.advance(HOUR);
    let s = model.snapshot();
    expect(s.protectionRaw & bit(1)).toBe(bit(1)); // docs/protocol.md §3 bit 1 cell under-voltage
    expect(s.fetRaw & 0b10).toBe(0);
    expect(s.currentA).toBe(0);
    expect(s.errorCounters[4]).toBe(1); // docs/protocol.md §6 counter order: cell UV is word 4 counting from 0
    // The load is gone, the cells rebound above the trip voltage but stay under the release voltage.
    model.setDemand(0);
    model.advance(60);
    s = model.snapshot();
    expect(Math.min(...s.cellsMv)).toBeGreaterThan(2500);
    expect(s.protectionRaw & bit(1)).toBe(bit(1));
    // Charging lifts the cells over 2900 mV: released.
    model.setDemand(20);
    model.advance(HOUR);
    s = model.snapshot();
    expect(s.protectionRaw & bit(1)).toBe(0);
    expect(s.fetRaw).toBe(0b11);
  });

  it("charge over-temperature opens the charge FET and releases below the release temperature", () => {
    const model = new BatteryModel(resolveProfile({ thermal: { heatCapacityJPerK: 1000 } }));
    model.setAmbient(58);
    model.advance(HOUR);
    let s = model.snapshot();
    expect(s.protectionRaw & bit(4)).toBe(bit(4));
    expect(s.fetRaw).toBe(0b10);
    model.setAmbient(52); // between release (50) and trip (55): still tripped
    model.advance(HOUR);
    expect(model.snapshot().protectionRaw & bit(4)).toBe(bit(4));
    model.setAmbient(30);
    model.advance(HOUR);
    s = model.snapshot();
    expect(s.protectionRaw & bit(4)).toBe(0);
    expect(s.fetRaw).toBe(0b11);
  });

  it("discharge over-current trips after its delay and releases after the release time", () => {
    const model = new BatteryModel(resolveProfile());
    model.setDemand(-250);
    model.advance(5);
    const s = model.snapshot();
    expect(s.protectionRaw & bit(9)).toBe(bit(9));
    expect(s.currentA).toBe(0);
    model.setDemand(-10);
    model.advance(40);
    expect(model.snapshot().protectionRaw & bit(9)).toBe(0);
    expect(model.snapshot().currentA).toBe(-10);
  });

  it("forcing a FET off (0xE1) clears its FET bit and sets protection bit 12", () => {
    const model = new BatteryModel(resolveProfile());
    model.setForcedOff(0b01);
    const s = model.snapshot();
    expect(s.fetRaw).toBe(0b10);
    expect(s.protectionRaw).toBe(bit(12));
    expect(s.currentA).toBe(0); // charging blocked
    model.setForcedOff(0);
    expect(model.snapshot().protectionRaw).toBe(0);
  });

  it("balances the high cell while charging near the top when the spread exceeds the window", () => {
    const model = new BatteryModel(
      resolveProfile({
        initial: { remainingAh: 266, currentA: 0 },
        cells: [{}, {}, { socOffsetPct: 2 }, {}],
      }),
    );
    model.setDemand(20);
    model.advance(600);
    const s = model.snapshot();
    expect(s.balanceRaw).toBe(bit(2)); // bit i = cell i+1 (docs/protocol.md §3): cell 3
    model.setDemand(-20);
    model.advance(1);
    expect(model.snapshot().balanceRaw).toBe(0); // only while charging
  });
});

describe("BatteryModel protections (more)", () => {
  it("a short circuit trips at once, opens the discharge FET and releases after its delay", () => {
    const model = new BatteryModel(resolveProfile());
    model.setDemand(-900);
    model.advance(1);
    const s = model.snapshot();
    expect(s.protectionRaw & bit(10)).toBe(bit(10));
    expect(s.fetRaw & 0b10).toBe(0);
    expect(s.errorCounters[0]).toBe(1); // docs/protocol.md §6: short-circuit is counter word 0
    model.setDemand(0);
    model.advance(6);
    expect(model.snapshot().protectionRaw & bit(10)).toBe(0);
  });

  it("pack over-voltage uses the EEPROM threshold, so a saved parameter changes the trip point", () => {
    const model = new BatteryModel(resolveProfile({ initial: { currentA: 0 } }));
    model.params.set(0x20, 1300); // POVP 13.00 V (10 mV units, docs/protocol.md §6)
    model.params.set(0x21, 1200);
    model.advance(30); // at rest the model steps 10 s at a time, so allow a few steps for the 2 s delay
    const s = model.snapshot();
    expect(s.voltageV).toBeGreaterThan(13);
    expect(s.protectionRaw & bit(2)).toBe(bit(2));
    expect(s.fetRaw).toBe(0b10);
  });
});

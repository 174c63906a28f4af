/**
 * The console's PATCH fields: each is applied through the battery's API at once (the next JBD read
 * returns it), and a bad one is refused by name with nothing changed.
 */
import { describe, expect, it } from "vitest";
import { createEmulatedBattery } from "../../../src/emulator/battery.js";
import { EmulatorConsole } from "../../../src/emulator/console/console.js";
import { decodeBasicInfo } from "../../../src/protocol/registers/basic-info.js";
import { decodeCellVoltages } from "../../../src/protocol/registers/cell-voltages.js";
import type { ResponseFrame } from "../../../src/protocol/types.js";
import { ManualClock } from "../../../src/testing/manual-clock.js";
import { framesOf, hex, wire } from "../helpers.js";

function rig(count = 1) {
  const clock = new ManualClock();
  const batteries = Array.from({ length: count }, () => createEmulatedBattery({ clock, speed: 1 }));
  const console_ = new EmulatorConsole(
    {
      batteries,
      setupFor: async (name) => {
        if (name !== "overtemp") throw new Error(`unknown scenario "${name}"`);
        return { scenarioName: "overtemp", scenarioProfile: { initial: { temperatureC: 40 } } };
      },
      scenarioNames: async () => ["overtemp"],
    },
    { clock },
  );
  return { clock, batteries, console: console_ };
}

function read(battery: ReturnType<typeof createEmulatedBattery>) {
  const w = wire(battery);
  const [basic] = framesOf(w.send(hex("DD A5 03 00 FF FD 77")));
  const [cells] = framesOf(w.send(hex("DD A5 04 00 FF FC 77")));
  w.port.close();
  const info = decodeBasicInfo((basic as ResponseFrame).data);
  const mv = decodeCellVoltages((cells as ResponseFrame).data);
  if (!info.ok || !mv.ok) throw new Error("undecodable reply");
  return { ...info.value, cellsMv: mv.value.cellsMv };
}

describe("console PATCH fields", () => {
  it("current_a, soc_pct, temperature_c and cell_offset_mv are what the next 0x03/0x04 read returns", async () => {
    const { batteries, console: c } = rig();
    const battery = batteries[0] as ReturnType<typeof createEmulatedBattery>;
    const before = read(battery);
    const outcome = await c.patch(1, {
      current_a: -50,
      soc_pct: 12,
      temperature_c: 68,
      cell_offset_mv: { "3": -120 },
    });
    expect(outcome.status).toBe(200);
    const after = read(battery);
    expect(after.currentA).toBe(-50);
    expect(after.socPct).toBe(12);
    expect(after.temperaturesC).toEqual([68]);
    // 12 % is on the LiFePO4 knee: every cell lower than at 71 %, cell 3 another 120 mV lower
    for (const [i, mv] of after.cellsMv.entries()) expect(mv).toBeLessThan(before.cellsMv[i] as number);
    expect((after.cellsMv[1] as number) - (after.cellsMv[2] as number)).toBeGreaterThanOrEqual(115);
    if (outcome.status === 200) expect(outcome.state.cell_offset_mv).toEqual([0, 0, -120, 0]);
  });

  it("fault, online, speed, FETs and cycles", async () => {
    const { clock, batteries, console: c } = rig();
    const battery = batteries[0] as ReturnType<typeof createEmulatedBattery>;
    expect((await c.patch(1, { fault: "drop:1" })).status).toBe(200);
    const dropped = wire(battery);
    expect(dropped.send(hex("DD A5 03 00 FF FD 77"))).toEqual([]);
    dropped.port.close();
    await c.patch(1, { fault: null, charge_fet: false, cycles: 300 });
    const info = read(battery);
    expect(info).toMatchObject({ chargeFetOn: false, dischargeFetOn: true, cycles: 300 });
    expect(info.protection).toContain("mosfet_software_lock");
    await c.patch(1, { speed: 60 });
    clock.tick(10_000);
    expect(battery.snapshot().timeS).toBeCloseTo(600, 0);
    await c.patch(1, { online: false });
    // the in-process link stands for BLE: a switched-off battery's dongle is gone
    expect(() => battery.connect()).toThrow(/offline/);
    await c.patch(1, { online: true });
    expect(read(battery).cycles).toBe(300);
  });

  it("scenario starts the battery over with the scenario's setup", async () => {
    const { batteries, console: c } = rig();
    const outcome = await c.patch(1, { scenario: "overtemp" });
    expect(outcome.status).toBe(200);
    expect(batteries[0]?.scenarioName).toBe("overtemp");
    expect(read(batteries[0] as ReturnType<typeof createEmulatedBattery>).temperaturesC).toEqual([40]);
  });

  it.each([
    [{ current_a: "fast" }, "current_a"],
    [{ soc_pct: 101 }, "soc_pct"],
    [{ cell_offset_mv: { "5": 10 } }, "cell_offset_mv"],
    [{ cell_offset_mv: [1, 2] }, "cell_offset_mv"],
    [{ temperature_c: null }, "temperature_c"],
    [{ fault: "explode" }, "fault"],
    [{ online: "no" }, "online"],
    [{ speed: -1 }, "speed"],
    [{ cycles: 1.5 }, "cycles"],
    [{ scenario: "nope" }, "scenario"],
    [{ colour: "red" }, "colour"],
    [[1, 2], "(body)"],
  ])("refuses %j naming %s, and changes nothing of a patch with good fields too", async (bad, field) => {
    const { batteries, console: c } = rig();
    const battery = batteries[0] as ReturnType<typeof createEmulatedBattery>;
    const before = battery.snapshot();
    const body = Array.isArray(bad) ? bad : { current_a: -120, soc_pct: 20, ...bad };
    const outcome = await c.patch(1, body);
    expect(outcome).toMatchObject({ status: 400, error: { field } });
    expect(battery.snapshot()).toEqual(before);
    expect(battery.scenarioName).toBeUndefined();
  });

  it("an unknown battery is 404", async () => {
    expect(await rig(2).console.patch(3, { soc_pct: 50 })).toMatchObject({ status: 404 });
  });
});

describe("console state and history", () => {
  it("samples every battery each second and tells listeners, and after a change at once", async () => {
    const { clock, console: c } = rig(2);
    const updates: Array<{ samples?: unknown[] }> = [];
    c.onUpdate((u) => updates.push(u));
    c.start();
    clock.tick(2000);
    expect(updates.filter((u) => u.samples).length).toBe(3);
    expect(c.history(2)).toHaveLength(3);
    await c.patch(2, { current_a: -10 });
    expect(updates.at(-1)?.samples).toBeUndefined();
    expect(c.state(2)).toMatchObject({ n: 2, current_a: -10, demand_a: -10, online: true });
    c.stop();
  });
});

import { describe, expect, it } from "vitest";
import { createEmulatedBattery, type EmulatedBatteryOptions } from "../../src/emulator/battery.js";
import type { FaultSpec } from "../../src/emulator/behaviors/faults.js";
import { parseFaultSpec } from "../../src/emulator/behaviors/parse-fault.js";
import { ManualClock } from "../../src/testing/manual-clock.js";
import { concat, framesOf, hex, toHexString, wire } from "./helpers.js";

const READ_03 = hex("DD A5 03 00 FF FD 77");
const READ_04 = hex("DD A5 04 00 FF FC 77");

function fault(text: string): FaultSpec {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.spec;
}

function battery(faults: string[], options: EmulatedBatteryOptions = {}) {
  return createEmulatedBattery({ speed: 0, ...options, faults: faults.map(fault) });
}

/** The unfaulted response bytes, for comparison. */
const clean04 = (): Uint8Array => concat(wire(battery([])).send(READ_04));
const clean03 = (): Uint8Array => concat(wire(battery([])).send(READ_03));

describe("fault behaviours (byte level)", () => {
  it("split:7 cuts the 41-byte 0x03 answer into 7-byte notifications", () => {
    const chunks = wire(battery(["split:7"])).send(READ_03);
    expect(chunks.map((c) => c.length)).toEqual([7, 7, 7, 7, 7, 6]);
    expect(concat(chunks)).toEqual(clean03());
  });

  it("drop sends nothing", () => {
    expect(wire(battery(["drop"])).send(READ_04)).toEqual([]);
  });

  it("drop:0.5 loses about half, reproducibly for a seed", () => {
    const pattern = (seed: number) => {
      const w = wire(battery(["drop:0.5"], { seed }));
      return Array.from({ length: 200 }, () => w.send(READ_04).length > 0);
    };
    const first = pattern(7);
    expect(pattern(7)).toEqual(first);
    expect(pattern(8)).not.toEqual(first);
    const answered = first.filter(Boolean).length;
    expect(answered).toBeGreaterThan(60);
    expect(answered).toBeLessThan(140);
  });

  it("corrupt flips the checksum so the frame is rejected, other bytes intact", () => {
    const bytes = concat(wire(battery(["corrupt"])).send(READ_04));
    const clean = clean04();
    expect(bytes.length).toBe(clean.length);
    expect(bytes.slice(0, -3)).toEqual(clean.slice(0, -3));
    expect(bytes.at(-2)).not.toBe(clean.at(-2));
    expect(framesOf([bytes])[0]).toMatchObject({ kind: "invalid", error: "checksum" });
  });

  it("truncate:3 cuts the checksum and terminator", () => {
    const bytes = concat(wire(battery(["truncate:3"])).send(READ_04));
    expect(bytes).toEqual(clean04().slice(0, -3));
  });

  it("junk:FF00 prepends stray bytes before DD", () => {
    const chunks = wire(battery(["junk:FF00"])).send(READ_04);
    expect(toHexString(concat(chunks)).startsWith("FF 00 DD 04 00")).toBe(true);
  });

  it("error:0x81 answers with an error status instead of data", () => {
    const bytes = concat(wire(battery(["error:0x81"])).send(READ_03));
    // status 0x81, no data: checksum 0x10000 − 0x81 = 0xFF7F (docs/protocol.md §2)
    expect(toHexString(bytes)).toBe("DD 03 81 00 FF 7F 77");
  });

  it("delay:500 holds the answer for 500 ms on the battery's clock, and keeps later answers in order", () => {
    const clock = new ManualClock();
    const w = wire(battery(["delay:500"], { clock }));
    expect(w.send(READ_04)).toEqual([]);
    expect(w.send(READ_03)).toEqual([]);
    clock.tick(499);
    expect(w.chunks).toEqual([]);
    clock.tick(1);
    expect(concat(w.chunks)).toEqual(clean04());
    clock.tick(500);
    expect(concat(w.chunks)).toEqual(concat([clean04(), clean03()]));
  });

  it("disconnect sends the first notification and then asks for the link to drop", () => {
    const w = wire(battery(["disconnect"]));
    const chunks = w.send(READ_03);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toEqual(clean03().slice(0, 20));
    expect(w.disconnects).toBe(1);
    expect(w.port.isOpen).toBe(false);
  });

  it("reboot answers nothing, drops the link and clears FET locks", () => {
    const b = battery(["reboot,every=2"]);
    const w = wire(b);
    w.send(hex("DD 5A E1 02 00 03 FF 1A 77"));
    expect(b.snapshot().fetRaw).toBe(0);
    expect(w.send(READ_04)).toEqual([]);
    expect(w.disconnects).toBe(1);
    expect(b.snapshot().fetRaw).toBe(0b11);
    expect(b.snapshot().protectionRaw).toBe(0);
    expect(b.isConnected).toBe(false);
  });

  it("noise sends unsolicited non-JBD bytes as their own notification before the answer", () => {
    const chunks = wire(battery(["noise:AA5501"])).send(READ_04);
    expect(toHexString(chunks[0] as Uint8Array)).toBe("AA 55 01");
    expect(concat(chunks.slice(1))).toEqual(clean04());
  });

  it("every=3 fires on the 3rd and 6th request only", () => {
    const w = wire(battery(["drop,every=3"]));
    const answered = Array.from({ length: 6 }, () => w.send(READ_04).length > 0);
    expect(answered).toEqual([true, true, false, true, true, false]);
  });

  it("stall,from=10,to=20 swallows answers only inside the simulated-time window", () => {
    const b = battery(["stall,from=10,to=20"]);
    const w = wire(b);
    expect(w.send(READ_04)).not.toEqual([]);
    b.advance(10);
    expect(w.send(READ_04)).toEqual([]);
    b.advance(10);
    expect(w.send(READ_04)).not.toEqual([]);
  });

  it("later layers wrap earlier ones: junk then split re-cuts the junk with the frame", () => {
    const chunks = wire(battery(["junk:FF", "split:5"])).send(READ_04);
    expect(chunks.map((c) => c.length)).toEqual([5, 5, 5, 1]);
    expect(chunks[0]?.[0]).toBe(0xff);
  });

  it("counts the responses a fault changed", () => {
    const b = battery(["drop,every=2"]);
    const w = wire(b);
    for (let i = 0; i < 4; i++) w.send(READ_04);
    expect(b.faultCount).toBe(2);
  });
});

describe("fault spec syntax", () => {
  it("parses value and options", () => {
    expect(parseFaultSpec("delay:800,every=3,from=60,to=120")).toEqual({
      ok: true,
      spec: { kind: "delay", value: 800, every: 3, fromS: 60, toS: 120 },
    });
    expect(parseFaultSpec("junk:FF00")).toEqual({ ok: true, spec: { kind: "junk", value: hex("FF00") } });
  });

  it.each([
    ["explode", "unknown kind"],
    ["drop:2", "probability"],
    ["split:0", "size"],
    ["junk:XYZ", "hex"],
    ["delay:100,often=2", "unknown option"],
    ["drop,p=1.5", "invalid value"],
  ])("rejects %s naming the problem", (text, problem) => {
    const parsed = parseFaultSpec(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

/**
 * Where a third-party JBD reader found the emulator unlike a real BMS, each checked by
 * decoding the emulator's replies with the project's own decoders.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createEmulatedBattery, type EmulatedBatteryOptions } from "../../src/emulator/battery.js";
import { PARAMETER_RANGE } from "../../src/emulator/parameters.js";
import { encodeReadRequest, encodeWriteRequest } from "../../src/protocol/frame.js";
import { decodeBasicInfo } from "../../src/protocol/registers/basic-info.js";
import { encodeEepromString } from "../../src/protocol/registers/eeprom-strings.js";
import { type DecodedResponse, decodeResponse } from "../../src/protocol/registers/index.js";
import type { ResponseFrame } from "../../src/protocol/types.js";
import { FRAME_FIXTURE_DIR } from "../support/frame-fixtures.js";
import { framesOf, hex, type Wire, wire } from "./helpers.js";

const ENTER = hex("DD 5A 00 02 56 78 FF 30 77");
const EXIT = hex("DD 5A 01 02 00 00 FF FD 77");
const EXIT_SAVE = hex("DD 5A 01 02 28 28 FF AD 77");
const READ_BASIC = hex("DD A5 03 00 FF FD 77");

function decode(chunks: Uint8Array[]): DecodedResponse {
  const [frame] = framesOf(chunks);
  const result = decodeResponse(frame as ResponseFrame);
  if (!result.ok) throw result.error;
  return result.value;
}

function parameter(w: Wire, register: number): number {
  const reply = decode(w.send(encodeReadRequest(register)));
  if (reply.type !== "parameter") throw new Error(`0x${register.toString(16)} answered ${reply.type}`);
  return reply.value.rawU16;
}

function basicInfo(w: Wire) {
  const [frame] = framesOf(w.send(READ_BASIC));
  const info = decodeBasicInfo((frame as ResponseFrame).data);
  if (!info.ok) throw info.error;
  return info.value;
}

/** The 4th request on the battery is answered by a reboot (the `reboot` fault), then it serves again. */
const rebootOnFourth: EmulatedBatteryOptions = { speed: 0, faults: [{ kind: "reboot", every: 4 }] };

describe("factory-mode parameter writes (a real BMS applies at once; `28 28` survives a power cycle)", () => {
  it("a write read back after `00 00` is lost by a reboot", () => {
    const battery = createEmulatedBattery(rebootOnFourth);
    const w = wire(battery);
    w.send(ENTER); // 1
    expect(decode(w.send(encodeWriteRequest(0x24, hex("0E 10"))))).toMatchObject({ type: "ack" }); // 2
    w.send(EXIT); // 3: leaves factory mode without saving
    expect(w.send(READ_BASIC)).toEqual([]); // 4: the reboot fault fires: no reply, link dropped
    expect(w.disconnects).toBe(1);
    const after = wire(battery);
    after.send(ENTER);
    expect(parameter(after, 0x24)).toBe(3650);
  });

  it("before the reboot the written value reads back and is what the protection uses", () => {
    const battery = createEmulatedBattery({ speed: 0 });
    const w = wire(battery);
    w.send(ENTER);
    w.send(encodeWriteRequest(0x24, hex("0D 48"))); // COVP 3400 mV
    w.send(EXIT);
    w.send(ENTER);
    expect(parameter(w, 0x24)).toBe(3400);
    // charging at 9.93 A the cells are above 3.40 V within a minute: cell over-voltage trips at 3400
    battery.model.setCell(0, { socPct: 99.5 });
    battery.advance(10);
    expect(basicInfo(w).protection).toContain("cell_overvoltage");
  });

  it("a write saved with `28 28` survives the reboot", () => {
    const battery = createEmulatedBattery(rebootOnFourth);
    const w = wire(battery);
    w.send(ENTER); // 1
    w.send(encodeWriteRequest(0x24, hex("0E 10"))); // 2
    w.send(EXIT_SAVE); // 3
    w.send(READ_BASIC); // 4: reboot
    const after = wire(battery);
    after.send(ENTER);
    expect(parameter(after, 0x24)).toBe(3600);
  });
});

describe("parameter registers", () => {
  it("answers every standard register 0x10–0x3F in factory mode, with values that fit a 4S 280 Ah pack", () => {
    const w = wire(createEmulatedBattery({ speed: 0 }));
    w.send(ENTER);
    const raw = new Map<number, number>();
    for (let r = PARAMETER_RANGE.first; r <= PARAMETER_RANGE.last; r++) raw.set(r, parameter(w, r));
    expect(raw.size).toBe(48);
    const at = (r: number) => raw.get(r) as number;
    const covp = at(0x24);
    const cuvp = at(0x26);
    // full-charge and charge-end (0 %) cell voltages lie inside the protection window
    expect(at(0x12)).toBeGreaterThan(at(0x13));
    expect(at(0x12)).toBeLessThanOrEqual(covp);
    expect(at(0x13)).toBeGreaterThanOrEqual(cuvp);
    // the VoltageCap curve 80/60/40/20 % falls between them, monotonically
    const curve = [at(0x12), at(0x32), at(0x33), at(0x34), at(0x35), at(0x13)];
    expect([...curve].sort((a, b) => b - a)).toEqual(curve);
    expect(at(0x14)).toBeGreaterThan(0); // discharge rate, 0.1 %
    expect(at(0x2c)).toBeGreaterThan(0); // sense resistor, 0.1 mΩ
    // the hard (front-end) cell limits lie outside the software ones
    expect(at(0x36)).toBeGreaterThan(covp);
    expect(at(0x37)).toBeLessThan(cuvp);
    expect(at(0x38)).not.toBe(0); // short-circuit / second over-current bit fields
    expect(at(0x39) & 0xff).toBe(5); // short-circuit release, s (the profile's)
    for (const r of [0x3a, 0x3b, 0x3c]) expect([at(r) >> 8, at(r) & 0xff]).toEqual([2, 2]); // delays, s
    expect(at(0x30)).toBeGreaterThan(0);
    expect(at(0x31)).toBeGreaterThan(0);
  });

  it("0x17 is the live cycle count, like 0x03's, and a write sets it", () => {
    const battery = createEmulatedBattery({ speed: 0, profile: { cycleCapacityAh: 10 } });
    const w = wire(battery);
    battery.model.setDemand(-50);
    battery.advance(3600); // 50 Ah discharged = 5 cycles of 10 Ah
    w.send(ENTER);
    expect(parameter(w, 0x17)).toBe(32);
    expect(basicInfo(w).cycles).toBe(32);
    w.send(encodeWriteRequest(0x17, hex("00 64")));
    expect(parameter(w, 0x17)).toBe(100);
    expect(basicInfo(w).cycles).toBe(100);
  });

  it("an unsupported register gets the same status read or written, in factory mode or not", () => {
    const w = wire(createEmulatedBattery({ speed: 0 }));
    const statuses = () =>
      [0x0b, 0x4a, 0x9f, 0xf5].flatMap((r) => [
        decode(w.send(encodeReadRequest(r))),
        decode(w.send(encodeWriteRequest(r, hex("00 01")))),
      ]);
    const outside = statuses();
    w.send(ENTER);
    for (const reply of [...outside, ...statuses()])
      expect(reply).toMatchObject({ type: "error_reply", status: 0x80 });
  });

  it("a standard register is refused alike, read or written, outside factory mode (0x81)", () => {
    const w = wire(createEmulatedBattery({ speed: 0 }));
    expect(decode(w.send(encodeReadRequest(0x30)))).toMatchObject({ status: 0x81 });
    expect(decode(w.send(encodeWriteRequest(0x30, hex("00 0A"))))).toMatchObject({ status: 0x81 });
  });
});

describe("the barcode (0xA2) and the other EEPROM strings", () => {
  const barcode = encodeEepromString({ text: "ECO280-0042" });

  it("is written in factory mode, reads back at once, and survives a reboot only when saved", () => {
    const battery = createEmulatedBattery({ speed: 0, profile: { barcode: "OLD-1" } });
    const w = wire(battery);
    expect(decode(w.send(encodeWriteRequest(0xa2, barcode)))).toMatchObject({ status: 0x81 });
    w.send(ENTER);
    expect(decode(w.send(encodeWriteRequest(0xa2, barcode)))).toMatchObject({ type: "ack" });
    expect(decode(w.send(encodeReadRequest(0xa2)))).toMatchObject({ value: { text: "ECO280-0042" } });
    w.send(EXIT);
    battery.reboot();
    const after = wire(battery);
    expect(decode(after.send(encodeReadRequest(0xa2)))).toMatchObject({ value: { text: "OLD-1" } });
    after.send(ENTER);
    after.send(encodeWriteRequest(0xa2, barcode));
    after.send(EXIT_SAVE);
    battery.reboot();
    expect(decode(wire(battery).send(encodeReadRequest(0xa2)))).toMatchObject({
      value: { text: "ECO280-0042" },
    });
  });

  it("refuses a string whose length byte does not match its text", () => {
    const w = wire(createEmulatedBattery({ speed: 0 }));
    w.send(ENTER);
    expect(decode(w.send(encodeWriteRequest(0xa2, hex("09 41 42"))))).toMatchObject({ status: 0x81 });
  });
});

describe("identity", () => {
  it("sends the software-version byte of the real DP04S007 capture (0x23)", () => {
    const fixture = JSON.parse(readFileSync(`${FRAME_FIXTURE_DIR}/jbd-dp04s007l4s100a-ble.json`, "utf8")) as {
      frames: Array<{ expected: Record<string, unknown> }>;
    };
    const captured = fixture.frames.find((f) => f.expected.software_version_raw !== undefined);
    expect(captured?.expected.software_version_raw).toBe(0x23);
    expect(basicInfo(wire(createEmulatedBattery({ speed: 0 }))).softwareVersionRaw).toBe(0x23);
  });
});

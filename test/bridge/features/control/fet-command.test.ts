import { describe, expect, it } from "vitest";
import {
  currentForcedOffMask,
  fetStates,
  isConfirmed,
  maskFor,
  parseFetCommand,
} from "../../../../src/bridge/features/control/fet-command.js";

const LOCK = 1 << 12; // docs/protocol.md §3: protection bit 12, MOSFET software lock

describe("parseFetCommand", () => {
  it("accepts plain ON and OFF in any case, with blanks around", () => {
    expect(parseFetCommand("charge", "OFF")).toEqual({
      ok: true,
      command: { field: "charge", state: "OFF" },
    });
    expect(parseFetCommand("discharge", " on\n")).toEqual({
      ok: true,
      command: { field: "discharge", state: "ON" },
    });
  });

  it("accepts the JSON form and keeps requested_by", () => {
    expect(parseFetCommand("charge", '{ "state": "OFF", "requested_by": "node-red flow 3" }')).toEqual({
      ok: true,
      command: { field: "charge", state: "OFF", requestedBy: "node-red flow 3" },
    });
  });

  it("refuses unknown fields, unknown payloads and JSON without a state", () => {
    const unknown = parseFetCommand("balance", "ON");
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.reason).toContain('unknown control "balance"');
    const bad = parseFetCommand("charge", "toggle");
    expect(!bad.ok && bad.reason).toContain("is not ON, OFF or JSON");
    const noState = parseFetCommand("charge", '{"requested_by":"x"}');
    expect(!noState.ok && noState.reason).toContain('"state"');
    expect(parseFetCommand("charge", "[1]").ok).toBe(false);
    expect(parseFetCommand("charge", '{"state":"maybe"}').ok).toBe(false);
  });
});

describe("0xE1 mask (docs/protocol.md §7: bit0 charge off, bit1 discharge off)", () => {
  it("reads the forced state from the FET byte only while the software-lock bit is set", () => {
    expect(currentForcedOffMask({ fetRaw: 0b11, protectionRaw: 0 })).toBe(0);
    // charge off with the lock bit: forced
    expect(currentForcedOffMask({ fetRaw: 0b10, protectionRaw: LOCK })).toBe(0b01);
    // charge off WITHOUT the lock bit: a protection (e.g. bit 4, charge overtemperature), not forced
    expect(currentForcedOffMask({ fetRaw: 0b10, protectionRaw: 1 << 4 })).toBe(0);
    expect(currentForcedOffMask({ fetRaw: 0b00, protectionRaw: LOCK })).toBe(0b11);
  });

  it("changes only the commanded FET and keeps the other one's forced state", () => {
    const bothOn = { fetRaw: 0b11, protectionRaw: 0 };
    const chargeForcedOff = { fetRaw: 0b10, protectionRaw: LOCK };
    const bothForcedOff = { fetRaw: 0b00, protectionRaw: LOCK };
    expect(maskFor({ field: "charge", state: "OFF" }, bothOn)).toBe(0x01);
    expect(maskFor({ field: "discharge", state: "OFF" }, bothOn)).toBe(0x02);
    expect(maskFor({ field: "discharge", state: "OFF" }, chargeForcedOff)).toBe(0x03);
    expect(maskFor({ field: "charge", state: "ON" }, bothForcedOff)).toBe(0x02);
    expect(maskFor({ field: "charge", state: "ON" }, chargeForcedOff)).toBe(0x00);
    // a protection holding the discharge FET off is not latched by a charge command
    expect(maskFor({ field: "charge", state: "OFF" }, { fetRaw: 0b01, protectionRaw: 1 << 9 })).toBe(0x01);
  });

  it("confirms from the read-back FET byte", () => {
    expect(fetStates({ fetRaw: 0b10, protectionRaw: LOCK })).toEqual({ charge: "OFF", discharge: "ON" });
    expect(isConfirmed({ field: "charge", state: "OFF" }, { fetRaw: 0b10, protectionRaw: LOCK })).toBe(true);
    expect(isConfirmed({ field: "charge", state: "OFF" }, { fetRaw: 0b11, protectionRaw: 0 })).toBe(false);
  });
});

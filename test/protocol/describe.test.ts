import { describe, expect, it } from "vitest";
import { describeItem } from "../../src/protocol/describe.js";
import { encodeResponse } from "../../src/protocol/frame.js";
import type { ResponseFrame } from "../../src/protocol/types.js";
import { hex } from "../support/hex.js";

function response(register: number, data: Uint8Array, status = 0): ResponseFrame {
  const kind = status !== 0 ? "error_reply" : data.length === 0 ? "ack" : "response";
  return { kind, register, status, data, bytes: encodeResponse(register, status, data) };
}

describe("describeItem (decode --json contract)", () => {
  it("reports rejected bytes with their error and null register/status", () => {
    expect(describeItem({ kind: "invalid", error: "checksum", bytes: hex("DD 04 00") })).toEqual({
      kind: "invalid",
      hex: "DD 04 00",
      register: null,
      status: null,
      valid: false,
      error: "checksum",
    });
  });

  it("keeps data that does not fit its register's layout, with the decoder's message", () => {
    expect(describeItem(response(0x04, hex("0D")))).toMatchObject({
      kind: "response",
      valid: true,
      data_hex: "0D",
      decode_error: expect.stringMatching(/2 bytes each/),
    });
  });

  it("describes 0xAA counters, EEPROM strings, parameters and unknown registers", () => {
    const counters = new Uint8Array(24);
    counters[1] = 3; // short circuits: 0x0003
    expect(describeItem(response(0xaa, counters))).toMatchObject({
      counters: { short_circuit: 3, system_restart: 0 },
    });
    expect(describeItem(response(0xa0, hex("05 44 47 4A 42 44")))).toMatchObject({ text: "DGJBD" });
    // 0x10 design capacity 0x6D60 = 28000 (280.00 Ah in 10 mAh), docs/protocol.md §6
    expect(describeItem(response(0x10, hex("6D 60")))).toMatchObject({ raw_u16: 28000 });
    expect(describeItem(response(0xfa, hex("01 02 03")))).toMatchObject({ data_hex: "01 02 03" });
  });

  it("describes a write ack by its register and status alone", () => {
    expect(describeItem(response(0xe1, new Uint8Array()))).toEqual({
      kind: "ack",
      hex: "DD E1 00 00 00 00 77",
      register: 0xe1,
      status: 0,
      valid: true,
    });
  });

  it("gives no cell statistics for an empty 0x04 reply", () => {
    // a 0x04 reply with data must have >0 bytes to be a "response"; an empty one is an ack-shaped frame
    const frame: ResponseFrame = { ...response(0x04, new Uint8Array()), kind: "response" };
    expect(describeItem(frame)).toMatchObject({ cell_count: 0, min_mv: null, max_mv: null, delta_mv: null });
  });

  it("names the status of an error reply and lists alarm names of the extension", () => {
    expect(describeItem(response(0x24, new Uint8Array(), 0x80))).toMatchObject({
      kind: "error_reply",
      status: 0x80,
      status_name: "unknown_register",
      status_meaning: "command or register does not exist",
    });
    const data = new Uint8Array(23 + 9);
    data.set(hex("04 01"), 23 + 1); // alarm word 0x0401: bits 0 and 10
    expect(describeItem(response(0x03, data))).toMatchObject({
      extension: { alarm_raw: 0x0401, alarms: ["cell_overvoltage", "cell_difference_high"] },
    });
  });
});

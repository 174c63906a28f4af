import { describe, expect, it } from "vitest";
import { encodeResponse } from "../../../src/protocol/frame.js";
import { decodeResponse } from "../../../src/protocol/registers/index.js";
import type { ResponseFrame } from "../../../src/protocol/types.js";
import { hex } from "../../support/hex.js";

function response(register: number, status: number, data: Uint8Array): ResponseFrame {
  const kind = status !== 0 ? "error_reply" : data.length === 0 ? "ack" : "response";
  return { kind, register, status, data, bytes: encodeResponse(register, status, data) };
}

describe("decodeResponse", () => {
  it("dispatches 0x04 to the cell-voltage decoder", () => {
    expect(decodeResponse(response(0x04, 0, hex("0D 77")))).toEqual({
      ok: true,
      value: { register: 0x04, type: "cell_voltages", value: { cellsMv: [3447] } },
    });
  });

  it("dispatches 0x03, 0x05, 0xA0-0xA2 and 0xAA", () => {
    const basic = new Uint8Array(23);
    expect(decodeResponse(response(0x03, 0, basic))).toMatchObject({
      ok: true,
      value: { type: "basic_info" },
    });
    expect(decodeResponse(response(0x05, 0, hex("41 42")))).toMatchObject({
      value: { type: "hardware_version", value: { text: "AB" } },
    });
    for (const register of [0xa0, 0xa1, 0xa2]) {
      expect(decodeResponse(response(register, 0, hex("02 41 42")))).toMatchObject({
        value: { register, type: "eeprom_string", value: { text: "AB" } },
      });
    }
    expect(decodeResponse(response(0xaa, 0, new Uint8Array(22)))).toMatchObject({
      value: { type: "error_counters" },
    });
  });

  it("passes a register decoder's failure through", () => {
    const result = decodeResponse(response(0x04, 0, hex("0D")));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe("DECODE_INVALID");
  });

  it("reads a one-word parameter register as raw_u16 (0x24 COVP 0x0E42 = 3650 mV, docs/protocol.md §6)", () => {
    expect(decodeResponse(response(0x24, 0, hex("0E 42")))).toEqual({
      ok: true,
      value: { register: 0x24, type: "parameter", value: { rawU16: 3650 } },
    });
  });

  it("keeps unknown registers and odd-sized parameter replies raw", () => {
    expect(decodeResponse(response(0xfa, 0, hex("01 02 03")))).toEqual({
      ok: true,
      value: { register: 0xfa, type: "raw", value: { data: hex("01 02 03") } },
    });
    expect(decodeResponse(response(0x24, 0, hex("01 02 03")))).toMatchObject({ value: { type: "raw" } });
  });

  it("turns acks and error replies into their own types with the status meaning", () => {
    expect(decodeResponse(response(0xe1, 0, new Uint8Array()))).toEqual({
      ok: true,
      value: { register: 0xe1, type: "ack" },
    });
    expect(decodeResponse(response(0x24, 0x81, new Uint8Array()))).toMatchObject({
      ok: true,
      value: { register: 0x24, type: "error_reply", status: 0x81, statusName: "operation_error" },
    });
  });
});

import { describe, expect, it } from "vitest";
import { s16, toHex, u16 } from "../../src/protocol/bytes.js";

describe("byte helpers", () => {
  it("formats bytes as upper-case hex with a chosen separator", () => {
    expect(toHex(Uint8Array.of(0xdd, 0x03, 0x7))).toBe("DD 03 07");
    expect(toHex(Uint8Array.of(0xdd, 0x03), "")).toBe("DD03");
  });

  it("reads big-endian words, signed and unsigned", () => {
    expect(u16(Uint8Array.of(0xff, 0x9c), 0)).toBe(65436);
    expect(s16(Uint8Array.of(0xff, 0x9c), 0)).toBe(-100);
    expect(s16(Uint8Array.of(0x7f, 0xff), 0)).toBe(32767);
  });
});

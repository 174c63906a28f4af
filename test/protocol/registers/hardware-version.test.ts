import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeHardwareVersion,
  encodeHardwareVersion,
} from "../../../src/protocol/registers/hardware-version.js";

describe("hardware version (0x05)", () => {
  it("is the whole data field as text, with no inner length byte", () => {
    const data = new TextEncoder().encode("JBD-SP04S034-L4S-200A-B-U");
    expect(decodeHardwareVersion(data)).toEqual({ ok: true, value: { text: "JBD-SP04S034-L4S-200A-B-U" } });
    expect(encodeHardwareVersion({ text: "J-12300-241118-069" })).toEqual(
      new TextEncoder().encode("J-12300-241118-069"),
    );
  });

  it("refuses characters that are not one byte and text longer than 255 bytes", () => {
    expect(() => encodeHardwareVersion({ text: "Ω" })).toThrow(/one byte/);
    expect(() => encodeHardwareVersion({ text: "x".repeat(256) })).toThrow(/255/);
  });

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 255 }), (data) => {
        const decoded = decodeHardwareVersion(data);
        expect(decoded.ok && encodeHardwareVersion(decoded.value)).toEqual(data);
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { encodeJbdAdvertisement } from "../../../src/transport/ble/advertising.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("the DP04S advertisement", () => {
  it("carries flags, service FF00 and the MAC-in-little-endian manufacturer data", () => {
    const { advertisement } = encodeJbdAdvertisement("DP04S007L4S200A", "A5:C2:37:3C:76:D2");
    // 02 01 06 | 03 03 00 ff | 07 ff d2 76 3c 37 c2 a5  (Core Supplement Part A §1.1, §1.3, §1.4)
    expect(hex(advertisement)).toBe("020106" + "030300ff" + "07ffd2763c37c2a5");
  });

  it("puts the complete local name in the scan response", () => {
    const { scanResponse } = encodeJbdAdvertisement("DP04S007L4S200A", "A5:C2:37:3C:76:D2");
    expect(scanResponse[0]).toBe(16);
    expect(scanResponse[1]).toBe(0x09);
    expect(Buffer.from(scanResponse.slice(2)).toString("latin1")).toBe("DP04S007L4S200A");
  });

  it("cuts a long name to fit the 31-byte scan response", () => {
    const { scanResponse } = encodeJbdAdvertisement("X".repeat(40), "A5:C2:37:3C:76:D2");
    expect(scanResponse.length).toBe(31);
  });

  it("refuses a MAC it cannot put in the manufacturer data", () => {
    expect(() => encodeJbdAdvertisement("DP04S007L4S200A", "nope")).toThrow(RangeError);
  });
});

import { describe, expect, it } from "vitest";
import { isBmsError } from "../../src/errors.js";
import {
  encodeModuleFrame,
  encodeReadRequest,
  encodeResponse,
  encodeWriteRequest,
  jbdChecksum,
  moduleChecksum,
} from "../../src/protocol/frame.js";
import { hex } from "../support/hex.js";

describe("jbdChecksum", () => {
  it("is 0x10000 minus the byte sum, masked to 16 bits (docs/protocol.md §2 worked examples)", () => {
    expect(jbdChecksum(hex("03 00"))).toBe(0xfffd);
    expect(jbdChecksum(hex("04 00"))).toBe(0xfffc);
    // a status-0 reply without data sums to 0, so its checksum is 0x0000 (write acks)
    expect(jbdChecksum(hex("00 00"))).toBe(0x0000);
    // error reply seen in the V1.3 capture: 81 + 00 = 0x81, 0x10000 - 0x81 = 0xFF7F
    expect(jbdChecksum(hex("81 00"))).toBe(0xff7f);
  });

  it("wraps sums larger than 16 bits", () => {
    // 300 bytes of 0xFF sum to 76500 = 0x12AD4; (0x10000 - 0x2AD4) & 0xFFFF = 0xD52C
    expect(jbdChecksum(new Uint8Array(300).fill(0xff))).toBe(0xd52c);
  });
});

describe("request encoders", () => {
  it("builds the read requests listed in docs/protocol.md §2", () => {
    expect(encodeReadRequest(0x03)).toEqual(hex("DD A5 03 00 FF FD 77"));
    expect(encodeReadRequest(0x04)).toEqual(hex("DD A5 04 00 FF FC 77"));
    expect(encodeReadRequest(0x05)).toEqual(hex("DD A5 05 00 FF FB 77"));
    expect(encodeReadRequest(0xaa)).toEqual(hex("DD A5 AA 00 FF 56 77"));
  });

  it("builds the write requests listed in docs/protocol.md §7", () => {
    expect(encodeWriteRequest(0x00, hex("56 78"))).toEqual(hex("DD 5A 00 02 56 78 FF 30 77"));
    expect(encodeWriteRequest(0x01, hex("28 28"))).toEqual(hex("DD 5A 01 02 28 28 FF AD 77"));
    expect(encodeWriteRequest(0xe1, hex("00 01"))).toEqual(hex("DD 5A E1 02 00 01 FF 1C 77"));
    expect(encodeWriteRequest(0xe1, hex("00 03"))).toEqual(hex("DD 5A E1 02 00 03 FF 1A 77"));
  });
});

describe("encodeResponse", () => {
  it("builds a write ack with checksum 0x0000", () => {
    expect(encodeResponse(0xe1, 0x00, new Uint8Array())).toEqual(hex("DD E1 00 00 00 00 77"));
  });

  it("builds an error reply with a normal checksum", () => {
    expect(encodeResponse(0x24, 0x81, new Uint8Array())).toEqual(hex("DD 24 81 00 FF 7F 77"));
  });

  it("covers status, length and data but not the register (hardware version example, docs/protocol.md §5)", () => {
    const text = new TextEncoder().encode("JBD-SP04S034-L4S-200A-B-U");
    const frame = encodeResponse(0x05, 0x00, text);
    expect(frame.subarray(0, 4)).toEqual(hex("DD 05 00 19"));
    expect(frame.subarray(-3)).toEqual(hex("FA 08 77"));
  });

  it("encodes a full 255-byte data field (the length byte's maximum)", () => {
    const data = new Uint8Array(255).fill(0x11);
    const response = encodeResponse(0x04, 0, data);
    expect(response[3]).toBe(255);
    expect(response.subarray(4, 259)).toEqual(data);
    expect(encodeWriteRequest(0x10, data)[3]).toBe(255);
    expect(encodeModuleFrame(0x15, data)[3]).toBe(255);
  });

  it("refuses values that do not fit a byte or a 255-byte data field", () => {
    const tooLong = () => encodeResponse(0x04, 0, new Uint8Array(256));
    expect(tooLong).toThrow(/^frame data is 256 bytes; the length byte allows 255$/);
    expect(() => encodeResponse(0x100, 0, new Uint8Array())).toThrow(
      /^register must be a byte \(0-255\), got 256$/,
    );
    expect(() => encodeResponse(0x03, -1, new Uint8Array())).toThrow(/^register\/status must be a byte/);
    let thrown: unknown;
    try {
      tooLong();
    } catch (error) {
      thrown = error;
    }
    expect(isBmsError(thrown, "ENCODE_INVALID")).toBe(true);
    expect(thrown).toMatchObject({ context: { length: 256 } });
    expect(() => encodeResponse(0x100, 0, new Uint8Array())).toThrow(
      expect.objectContaining({ context: { value: 256 } }),
    );
  });
});

describe("module frames (FF AA, docs/protocol.md §8)", () => {
  it("sums cmd, len and data into one byte, with no terminator", () => {
    expect(encodeModuleFrame(0x15, hex("30 30 30 30 30 30"))).toEqual(
      hex("FF AA 15 06 30 30 30 30 30 30 3B"),
    );
    expect(encodeModuleFrame(0x17, new Uint8Array())).toEqual(hex("FF AA 17 00 17"));
    // Overkill doc rename example: 07 + 03 + 'X' 'Y' 'Z' (58 59 5A) = 0x115 -> 0x15
    expect(encodeModuleFrame(0x07, hex("58 59 5A"))).toEqual(hex("FF AA 07 03 58 59 5A 15"));
    expect(moduleChecksum(hex("17 00"))).toBe(0x17);
  });

  it("refuses a command that is not a byte and data longer than 255 bytes", () => {
    expect(() => encodeModuleFrame(256, new Uint8Array())).toThrow(/^module command must be a byte/);
    expect(() => encodeModuleFrame(1, new Uint8Array(256))).toThrow(/255/);
  });
});

/**
 * Frame encoders and the checksum (docs/protocol.md §2, §8). Pure: bytes in, bytes out.
 *
 * Host -> BMS:  DD <A5 read | 5A write> <reg> <len> <data> <chk_hi> <chk_lo> 77
 * BMS -> host:  DD <reg> <status> <len> <data> <chk_hi> <chk_lo> 77
 * BLE module:   FF AA <cmd> <len> <data> <sum8>            (no terminator)
 */
import { BmsError } from "../errors.js";

export const FRAME_START = 0xdd;
export const FRAME_END = 0x77;
export const OP_READ = 0xa5;
export const OP_WRITE = 0x5a;
export const MODULE_START = 0xff;
export const MODULE_SECOND = 0xaa;
/** DD + byte1 + byte2 + len + chk_hi + chk_lo + 77 (docs/protocol.md §2: total length = len + 7). */
export const FRAME_OVERHEAD = 7;
/** FF AA cmd len … sum8 (docs/protocol.md §8). */
export const MODULE_OVERHEAD = 5;
/** The length byte is one byte, so a frame never holds more than 255 data bytes. */
export const MAX_DATA_LENGTH = 255;

/**
 * JBD checksum over the covered bytes (frame offset 2 to the end of the data: `reg len data` in a
 * request, `status len data` in a response): (0x10000 − Σ bytes) & 0xFFFF, sent big-endian.
 * A write ack (status 0, no data) therefore has checksum 0x0000 (docs/protocol.md §2).
 */
export function jbdChecksum(covered: Uint8Array): number {
  let sum = 0;
  for (const byte of covered) sum += byte;
  return (0x10000 - (sum & 0xffff)) & 0xffff;
}

/** sum8 of a module frame: (cmd + len + Σ data) & 0xFF (docs/protocol.md §8). */
export function moduleChecksum(covered: Uint8Array): number {
  let sum = 0;
  for (const byte of covered) sum += byte;
  return sum & 0xff;
}

/** `DD A5 reg 00 chk 77`: read one register. */
export function encodeReadRequest(register: number): Uint8Array {
  return encodeDdFrame(OP_READ, register, new Uint8Array(0));
}

/** `DD 5A reg len data chk 77`: write a register (the BMS answers with an ack, docs/protocol.md §7). */
export function encodeWriteRequest(register: number, data: Uint8Array): Uint8Array {
  return encodeDdFrame(OP_WRITE, register, data);
}

/** `DD reg status len data chk 77`: what a BMS sends back (used by the emulator). */
export function encodeResponse(register: number, status: number, data: Uint8Array): Uint8Array {
  checkByte("register", register);
  return encodeDdFrame(register, status, data);
}

/** `FF AA cmd len data sum8`: a BLE-module command or reply (docs/protocol.md §8). */
export function encodeModuleFrame(cmd: number, data: Uint8Array): Uint8Array {
  checkByte("module command", cmd);
  checkDataLength(data);
  const frame = new Uint8Array(data.length + MODULE_OVERHEAD);
  frame.set([MODULE_START, MODULE_SECOND, cmd, data.length]);
  frame.set(data, 4);
  const sumAt = frame.length - 1;
  frame[sumAt] = moduleChecksum(frame.subarray(2, sumAt));
  return frame;
}

/** Both DD directions share one layout: only the meaning of bytes 1 and 2 differs. */
function encodeDdFrame(byte1: number, byte2: number, data: Uint8Array): Uint8Array {
  checkByte("register/status", byte2);
  checkDataLength(data);
  const frame = new Uint8Array(data.length + FRAME_OVERHEAD);
  frame.set([FRAME_START, byte1, byte2, data.length]);
  frame.set(data, 4);
  const checksum = jbdChecksum(frame.subarray(2, 4 + data.length));
  frame.set([checksum >> 8, checksum & 0xff, FRAME_END], 4 + data.length);
  return frame;
}

function checkByte(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new BmsError("ENCODE_INVALID", `${what} must be a byte (0-255), got ${value}`, { value });
  }
}

function checkDataLength(data: Uint8Array): void {
  if (data.length > MAX_DATA_LENGTH) {
    throw new BmsError("ENCODE_INVALID", `frame data is ${data.length} bytes; the length byte allows 255`, {
      length: data.length,
    });
  }
}

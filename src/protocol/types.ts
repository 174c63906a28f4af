/** Shapes produced by the frame layer (docs/architecture.md "Protocol API"). */
import type { BmsError } from "../errors.js";

/** Decoders never throw on bad input: they return this. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: BmsError };

/** Host -> BMS: `DD A5|5A reg len data chk_hi chk_lo 77` (docs/protocol.md §2). */
export interface RequestFrame {
  kind: "request";
  op: "read" | "write";
  register: number;
  data: Uint8Array;
  bytes: Uint8Array;
}

/**
 * BMS -> host: `DD reg status len data chk_hi chk_lo 77`.
 * kind: "ack" = status 0 with no data (every write acknowledgement, checksum 0x0000);
 * "error_reply" = status != 0 (0x80..0x83, see status.ts); otherwise "response".
 */
export interface ResponseFrame {
  kind: "response" | "ack" | "error_reply";
  register: number;
  status: number;
  data: Uint8Array;
  bytes: Uint8Array;
}

/** The BLE module's own command set: `FF AA cmd len data sum8`, no terminator (docs/protocol.md §8). */
export interface ModuleFrame {
  kind: "module";
  cmd: number;
  data: Uint8Array;
  bytes: Uint8Array;
}

export type Frame = RequestFrame | ResponseFrame | ModuleFrame;

export type FrameErrorCode = "checksum" | "terminator" | "truncated" | "length" | "junk";

/** Bytes the assembler had to reject, reported in stream order so nothing is silently lost. */
export interface InvalidFrame {
  kind: "invalid";
  error: FrameErrorCode;
  bytes: Uint8Array;
}

export type AssemblerItem = Frame | InvalidFrame;

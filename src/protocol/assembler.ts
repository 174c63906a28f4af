/**
 * Streaming frame reassembly (jbd-protocol §9, §10). Bytes arrive in any chunking: 20-byte BLE
 * notifications, single UART bytes, several frames at once. Chunk boundaries carry no meaning here,
 * so a continuation chunk that happens to begin with DD cannot desynchronise us (the §9 failure mode).
 *
 * Rules:
 * - A frame starts at DD (or FF AA for a BLE-module frame). Any other byte is junk, reported as
 *   `invalid`/`junk` in stream order and flushed at once, so memory stays bounded.
 * - A frame is cut by its length byte (len + 7 bytes), never by searching for 0x77: data bytes and
 *   checksum bytes may legitimately be 0x77 (a 3.447 V cell is 0D 77).
 * - On a bad terminator or checksum the DD was false (or the frame corrupt): we resynchronise at the
 *   next sync byte after that DD, so a real frame hidden inside the rejected bytes is still found.
 *   The rejected bytes up to that point are reported as one `invalid` item with the reason.
 * - A candidate still waiting for bytes is dropped as `truncated` as soon as a complete, valid DD frame
 *   appears after it: a junk DD whose "length" is large must not hold back the real reply behind it.
 * - Never throws; every input byte ends up in exactly one emitted item (or is still pending).
 */
import {
  FRAME_END,
  FRAME_OVERHEAD,
  FRAME_START,
  jbdChecksum,
  MAX_DATA_LENGTH,
  MODULE_OVERHEAD,
  MODULE_SECOND,
  MODULE_START,
  moduleChecksum,
  OP_READ,
  OP_WRITE,
} from "./frame.js";
import type { AssemblerItem, Frame, FrameErrorCode, InvalidFrame } from "./types.js";

export interface FrameAssemblerOptions {
  /**
   * Largest data length accepted in a DD frame (default 255, i.e. anything the length byte can say).
   * A candidate announcing more is rejected at once with error `length` instead of waiting for bytes
   * that will never come; a reader that knows its device can lower this to resync faster.
   */
  maxDataLength?: number;
}

/** Outcome of looking at the candidate frame at the start of the pending bytes. */
type Scan =
  | { type: "need_more" }
  | { type: "frame"; size: number; frame: Frame }
  | { type: "reject"; error: FrameErrorCode };

export class FrameAssembler {
  private pending: Uint8Array = new Uint8Array(0);
  private readonly maxDataLength: number;

  constructor(options: FrameAssemblerOptions = {}) {
    this.maxDataLength = Math.min(MAX_DATA_LENGTH, Math.max(0, options.maxDataLength ?? MAX_DATA_LENGTH));
  }

  /** Feed the next chunk; returns every frame and rejected run it completes, in stream order. */
  push(chunk: Uint8Array): AssemblerItem[] {
    const buffer = concat(this.pending, chunk);
    const items: AssemblerItem[] = [];
    let start = 0;
    let junkFrom = -1;
    const flushJunk = (until: number) => {
      if (junkFrom >= 0) items.push(invalid("junk", buffer.slice(junkFrom, until)));
      junkFrom = -1;
    };
    while (start < buffer.length) {
      if (!isSyncAt(buffer, start)) {
        if (junkFrom < 0) junkFrom = start;
        start++;
        continue;
      }
      const scan = this.scanAt(buffer, start);
      if (scan.type === "need_more") {
        // A complete frame further on proves this candidate false (or cut off): a junk DD with a
        // large "length" must not hold back the real frame behind it.
        const proof = this.completeFrameAfter(buffer, start);
        if (proof < 0) break;
        // drop only the false start, then rescan: frames between it and the proof are kept
        const resumeAt = nextSync(buffer, start + 1, proof);
        flushJunk(start);
        items.push(invalid("truncated", buffer.slice(start, resumeAt)));
        start = resumeAt;
        continue;
      }
      flushJunk(start);
      if (scan.type === "frame") {
        items.push(scan.frame);
        start += scan.size;
      } else {
        const resumeAt = nextSync(buffer, start + 1, start + this.candidateSize(buffer, start));
        items.push(invalid(scan.error, buffer.slice(start, resumeAt)));
        start = resumeAt;
      }
    }
    flushJunk(start);
    this.pending = buffer.slice(start);
    return items;
  }

  /**
   * End of stream: the pending candidate can no longer complete. It is reported as `truncated` (a
   * lone trailing FF as `junk`) and the bytes after it are scanned again, since a false DD may have
   * been hiding a real frame.
   */
  end(): AssemblerItem[] {
    const items: AssemblerItem[] = [];
    while (this.pending.length > 0) {
      const rest = this.pending;
      const cut = nextSync(rest, 1, rest.length);
      const loneFf = cut === 1 && rest[0] === MODULE_START;
      items.push(invalid(loneFf ? "junk" : "truncated", rest.slice(0, cut)));
      this.pending = new Uint8Array(0);
      items.push(...this.push(rest.subarray(cut)));
    }
    return items;
  }

  /** Drop pending bytes (e.g. after a request timed out and a new one is sent). */
  reset(): void {
    this.pending = new Uint8Array(0);
  }

  /** Bytes currently held while waiting for the rest of a frame (≤ 262). */
  get pendingLength(): number {
    return this.pending.length;
  }

  /**
   * Start of the first complete, valid DD frame after `start`, or -1. Only DD frames count as proof:
   * length, terminator and a 16-bit checksum make one appearing by chance inside real data
   * negligible, while a 5-byte module frame (8-bit sum) can: 0x03 data holding current 0xFFAA
   * (-0.86 A), remaining 0x6D00 and nominal 0x6D60 contains `FF AA 6D 00 6D`.
   */
  private completeFrameAfter(buffer: Uint8Array, start: number): number {
    for (let index = start + 1; index < buffer.length; index++) {
      if (buffer[index] === FRAME_START && this.scanDd(buffer, index).type === "frame") return index;
    }
    return -1;
  }

  private scanAt(buffer: Uint8Array, start: number): Scan {
    return buffer[start] === FRAME_START ? this.scanDd(buffer, start) : scanModule(buffer, start);
  }

  private scanDd(buffer: Uint8Array, start: number): Scan {
    if (buffer.length - start < 4) return { type: "need_more" };
    const dataLength = buffer[start + 3] as number;
    if (dataLength > this.maxDataLength) return { type: "reject", error: "length" };
    const size = dataLength + FRAME_OVERHEAD;
    if (buffer.length - start < size) return { type: "need_more" };
    // validate in place; copy only what is accepted
    if (buffer[start + size - 1] !== FRAME_END) return { type: "reject", error: "terminator" };
    const expected = jbdChecksum(buffer.subarray(start + 2, start + 4 + dataLength));
    const received =
      ((buffer[start + 4 + dataLength] as number) << 8) | (buffer[start + 5 + dataLength] as number);
    if (expected !== received) return { type: "reject", error: "checksum" };
    return { type: "frame", size, frame: classifyDd(buffer.slice(start, start + size), dataLength) };
  }

  /** How many bytes the candidate at `start` claims (bounded by what is buffered). */
  private candidateSize(buffer: Uint8Array, start: number): number {
    const overhead = buffer[start] === FRAME_START ? FRAME_OVERHEAD : MODULE_OVERHEAD;
    const length = buffer[start + 3] as number;
    const claimed = length > this.maxDataLength && overhead === FRAME_OVERHEAD ? 1 : length + overhead;
    return Math.min(claimed, buffer.length - start);
  }
}

function scanModule(buffer: Uint8Array, start: number): Scan {
  if (buffer.length - start < 4) return { type: "need_more" };
  const size = (buffer[start + 3] as number) + MODULE_OVERHEAD;
  if (buffer.length - start < size) return { type: "need_more" };
  if (moduleChecksum(buffer.subarray(start + 2, start + size - 1)) !== buffer[start + size - 1]) {
    return { type: "reject", error: "checksum" };
  }
  const bytes = buffer.slice(start, start + size);
  return {
    type: "frame",
    size,
    frame: { kind: "module", cmd: bytes[2] as number, data: bytes.subarray(4, size - 1), bytes },
  };
}

/** jbd-protocol §2: byte 1 is A5/5A in a request, the register in a response. */
function classifyDd(bytes: Uint8Array, dataLength: number): Frame {
  const byte1 = bytes[1] as number;
  const byte2 = bytes[2] as number;
  const data = bytes.subarray(4, 4 + dataLength);
  if (byte1 === OP_READ || byte1 === OP_WRITE) {
    return { kind: "request", op: byte1 === OP_READ ? "read" : "write", register: byte2, data, bytes };
  }
  const kind = byte2 !== 0 ? "error_reply" : dataLength === 0 ? "ack" : "response";
  return { kind, register: byte1, status: byte2, data, bytes };
}

/**
 * A DD always may start a frame; FF only when followed by AA. A trailing FF may still become FF AA,
 * so it counts as a sync byte until the next byte arrives.
 */
function isSyncAt(buffer: Uint8Array, index: number): boolean {
  const byte = buffer[index];
  if (byte === FRAME_START) return true;
  if (byte !== MODULE_START) return false;
  return index + 1 >= buffer.length || buffer[index + 1] === MODULE_SECOND;
}

/** First sync position in [from, limit), or limit when the rejected candidate hides none. */
function nextSync(buffer: Uint8Array, from: number, limit: number): number {
  for (let index = from; index < limit; index++) if (isSyncAt(buffer, index)) return index;
  return limit;
}

function invalid(error: FrameErrorCode, bytes: Uint8Array): InvalidFrame {
  return { kind: "invalid", error, bytes };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

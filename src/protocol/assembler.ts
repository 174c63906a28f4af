/**
 * Streaming frame reassembly (docs/protocol.md §9, §10). Bytes arrive in any chunking: 20-byte BLE
 * notifications, single UART bytes, several frames at once. Chunk boundaries carry no meaning here,
 * so a continuation chunk that happens to begin with DD cannot desynchronise us (the failure mode in docs/protocol.md §9).
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
  MAX_DATA_LENGTH,
  MODULE_OVERHEAD,
  MODULE_SECOND,
  MODULE_START,
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

/**
 * Outcome of checking the candidate at a position, as a number so the hot path allocates nothing:
 * a positive value is the size of a valid frame there, otherwise one of these.
 */
const NEED_MORE = 0;
const REJECT_LENGTH = -1;
const REJECT_TERMINATOR = -2;
const REJECT_CHECKSUM = -3;
const REJECTION: Readonly<Record<number, FrameErrorCode>> = {
  [REJECT_LENGTH]: "length",
  [REJECT_TERMINATOR]: "terminator",
  [REJECT_CHECKSUM]: "checksum",
};

const EMPTY = new Uint8Array(0);

export class FrameAssembler {
  /** Never mutated once assigned: frames handed out may be views into it. */
  private pending: Uint8Array = EMPTY;
  /**
   * Where the search for a proof frame (see completeFrameAfter) resumes when the candidate at the start
   * of `pending` is still waiting: positions before it were already found to hold no frame that more
   * bytes could complete, so a frame arriving in many small chunks is not rescanned from its start.
   */
  private proofResume = 1;
  private readonly maxDataLength: number;

  constructor(options: FrameAssemblerOptions = {}) {
    this.maxDataLength = Math.min(MAX_DATA_LENGTH, Math.max(0, options.maxDataLength ?? MAX_DATA_LENGTH));
  }

  /** Feed the next chunk; returns every frame and rejected run it completes, in stream order. */
  push(chunk: Uint8Array): AssemblerItem[] {
    // With nothing pending the caller's chunk is read in place; it is not ours, so whatever we keep or
    // hand out from it is copied. A concatenation is ours and never written again, so views into it are safe.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: copying a chunk we could read in place changes no item (pending is then empty and proofResume 1)
    const owned = this.pending.length > 0;
    const buffer = owned ? concat(this.pending, chunk) : chunk;
    const take = owned ? subarrayOf : sliceOf;
    const resume = owned ? this.proofResume : 1;
    this.proofResume = 1;
    const items: AssemblerItem[] = [];
    let start = 0;
    let junkFrom = -1;
    while (start < buffer.length) {
      if (!isSyncAt(buffer, start)) {
        if (junkFrom < 0) junkFrom = start;
        start++;
        continue;
      }
      const result = this.checkAt(buffer, start);
      if (result === NEED_MORE) {
        // A complete frame further on proves this candidate false (or cut off): a junk DD with a
        // large "length" must not hold back the real frame behind it.
        const proof = this.completeFrameAfter(buffer, start === 0 ? resume : start + 1);
        if (proof < 0) break;
        // drop only the false start, then rescan: frames between it and the proof are kept
        const resumeAt = nextSync(buffer, start + 1, proof);
        if (junkFrom >= 0) items.push(invalid("junk", take(buffer, junkFrom, start)));
        junkFrom = -1;
        items.push(invalid("truncated", take(buffer, start, resumeAt)));
        start = resumeAt;
        continue;
      }
      if (junkFrom >= 0) items.push(invalid("junk", take(buffer, junkFrom, start)));
      junkFrom = -1;
      if (result > 0) {
        items.push(frameAt(take(buffer, start, start + result)));
        start += result;
      } else {
        const resumeAt = nextSync(buffer, start + 1, start + this.candidateSize(buffer, start));
        items.push(invalid(REJECTION[result] as FrameErrorCode, take(buffer, start, resumeAt)));
        start = resumeAt;
      }
    }
    if (junkFrom >= 0) items.push(invalid("junk", take(buffer, junkFrom, start)));
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: at the end, an empty slice pends exactly like EMPTY (a later push rescans from 1 either way)
    if (start < buffer.length) {
      this.pending = take(buffer, start, buffer.length);
      this.proofResume = Math.max(1, this.proofResume - start);
    } else {
      this.pending = EMPTY;
      this.proofResume = 1;
    }
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
      items.push(invalid(loneFf ? "junk" : "truncated", rest.subarray(0, cut)));
      this.reset();
      items.push(...this.push(rest.subarray(cut)));
    }
    return items;
  }

  /** Drop pending bytes (e.g. after a request timed out and a new one is sent). */
  reset(): void {
    this.pending = EMPTY;
    this.proofResume = 1;
  }

  /** Bytes currently held while waiting for the rest of a frame (≤ 262). */
  get pendingLength(): number {
    return this.pending.length;
  }

  /**
   * Start of the first complete, valid DD frame in [from, end), or -1. Only DD frames count as proof:
   * length, terminator and a 16-bit checksum make one appearing by chance inside real data
   * negligible, while a 5-byte module frame (8-bit sum) can: 0x03 data holding current 0xFFAA
   * (-0.86 A), remaining 0x6D00 and nominal 0x6D60 contains `FF AA 6D 00 6D`.
   * Records in proofResume the first DD that more bytes could still complete (rejections are final).
   */
  private completeFrameAfter(buffer: Uint8Array, from: number): number {
    let waiting = -1;
    // Stryker disable next-line EqualityOperator: equivalent: buffer[buffer.length] is undefined, never FRAME_START
    for (let index = from; index < buffer.length; index++) {
      if (buffer[index] !== FRAME_START) continue;
      const result = this.checkDd(buffer, index);
      if (result > 0) return index;
      if (result === NEED_MORE && waiting < 0) waiting = index;
    }
    this.proofResume = waiting < 0 ? buffer.length : waiting;
    return -1;
  }

  private checkAt(buffer: Uint8Array, start: number): number {
    return buffer[start] === FRAME_START ? this.checkDd(buffer, start) : checkModule(buffer, start);
  }

  /** Validates the DD candidate in place; nothing is copied or allocated. */
  private checkDd(buffer: Uint8Array, start: number): number {
    // Stryker disable next-line EqualityOperator: equivalent: with exactly 4 bytes the frame (7 + length) is still incomplete: NEED_MORE below
    if (buffer.length - start < 4) return NEED_MORE;
    const dataLength = buffer[start + 3] as number;
    if (dataLength > this.maxDataLength) return REJECT_LENGTH;
    const size = dataLength + FRAME_OVERHEAD;
    if (buffer.length - start < size) return NEED_MORE;
    if (buffer[start + size - 1] !== FRAME_END) return REJECT_TERMINATOR;
    const expected = checksumOver(buffer, start + 2, start + 4 + dataLength);
    const received =
      ((buffer[start + 4 + dataLength] as number) << 8) | (buffer[start + 5 + dataLength] as number);
    return expected === received ? size : REJECT_CHECKSUM;
  }

  /** How many bytes the candidate at `start` claims (bounded by what is buffered). */
  private candidateSize(buffer: Uint8Array, start: number): number {
    const overhead = buffer[start] === FRAME_START ? FRAME_OVERHEAD : MODULE_OVERHEAD;
    const length = buffer[start + 3] as number;
    const claimed = length > this.maxDataLength && overhead === FRAME_OVERHEAD ? 1 : length + overhead;
    // Stryker disable next-line ArithmeticOperator: equivalent: only judged (complete) candidates are measured, so claimed never exceeds what is buffered
    return Math.min(claimed, buffer.length - start);
  }
}

function checkModule(buffer: Uint8Array, start: number): number {
  // Stryker disable next-line EqualityOperator: equivalent: with exactly 4 bytes the module frame (5 + length) is still incomplete: NEED_MORE below
  if (buffer.length - start < 4) return NEED_MORE;
  const size = (buffer[start + 3] as number) + MODULE_OVERHEAD;
  if (buffer.length - start < size) return NEED_MORE;
  let sum = 0; // sum8 over cmd len data (docs/protocol.md §8), as moduleChecksum, without a subarray
  for (let index = start + 2; index < start + size - 1; index++) sum += buffer[index] as number;
  return (sum & 0xff) === buffer[start + size - 1] ? size : REJECT_CHECKSUM;
}

/** jbdChecksum over buffer[from, to) without creating a subarray (docs/protocol.md §2). */
function checksumOver(buffer: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let index = from; index < to; index++) sum += buffer[index] as number;
  return (0x10000 - (sum & 0xffff)) & 0xffff;
}

/** The accepted bytes of one frame, already validated: classify them (docs/protocol.md §2, §8). */
function frameAt(bytes: Uint8Array): Frame {
  if (bytes[0] === MODULE_START) {
    return { kind: "module", cmd: bytes[2] as number, data: bytes.subarray(4, bytes.length - 1), bytes };
  }
  return classifyDd(bytes, bytes[3] as number);
}

/** docs/protocol.md §2: byte 1 is A5/5A in a request, the register in a response. */
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
  // Stryker disable next-line EqualityOperator: equivalent: a sync found at `limit` returns `limit`, as not finding one does
  for (let index = from; index < limit; index++) if (isSyncAt(buffer, index)) return index;
  return limit;
}

function invalid(error: FrameErrorCode, bytes: Uint8Array): InvalidFrame {
  return { kind: "invalid", error, bytes };
}

function subarrayOf(buffer: Uint8Array, from: number, to: number): Uint8Array {
  return buffer.subarray(from, to);
}

function sliceOf(buffer: Uint8Array, from: number, to: number): Uint8Array {
  return buffer.slice(from, to);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

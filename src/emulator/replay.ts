/**
 * Replay: serve captured response frames verbatim. For each request register the next captured response
 * for that register is sent (in capture order, starting over after the last), keeping the captured
 * notification boundaries when the capture has them. Registers never captured answer status 0x80.
 *
 * Sources:
 *  - a frame fixture (fixtures/frames/*.json): `{ frames: [{ hex, chunks? }] }`;
 *  - a capture log (any text): each line's trailing run of hex bytes is one chunk, e.g. `RX DD 03 00 22 …`;
 *    requests in the log are recognised by the assembler and skipped.
 */
import { BmsError } from "../errors.js";
import { FrameAssembler } from "../protocol/assembler.js";
import { encodeResponse } from "../protocol/frame.js";
import type { RequestFrame } from "../protocol/types.js";
import { isCaptureText } from "../transport/capture/format.js";
import { parseBridgeCapture } from "./replay-capture.js";
import { type Responder, type Response, STATUS } from "./responder.js";

export interface CapturedResponse {
  register: number;
  /** The notifications as captured (one element when the capture has no chunking). */
  chunks: Uint8Array[];
  /** Recorded wait before each chunk (ms): request → first chunk, then between chunks (timed captures). */
  delaysMs?: number[];
}

/**
 * A line's trailing run of hex byte pairs, separated by space, `.`, `:` or `-`, or packed
 * (`RX DD 03 00 …`, `<<< DD.03.00…`, `rx dda50300…`); `#` lines are comments.
 */
const TRAILING_HEX = /(?:^|[^0-9a-z])((?:[0-9a-f]{2}[ \t.:-]?)+)$/i;

function hexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.match(/[0-9a-f]{2}/gi) ?? [], (b) => Number.parseInt(b, 16));
}

function lineChunk(line: string): Uint8Array | undefined {
  if (line.trimStart().startsWith("#")) return undefined;
  const run = TRAILING_HEX.exec(line.trimEnd())?.[1];
  return run === undefined ? undefined : hexBytes(run);
}

/** Groups chunks into response frames with the assembler; requests and junk are skipped. */
function responsesFromChunks(chunks: readonly Uint8Array[]): CapturedResponse[] {
  const assembler = new FrameAssembler();
  const out: CapturedResponse[] = [];
  let pending: Uint8Array[] = [];
  for (const chunk of chunks) {
    pending.push(chunk);
    for (const item of assembler.push(chunk)) {
      if (item.kind === "response" || item.kind === "ack" || item.kind === "error_reply") {
        const exact = pending.reduce((n, c) => n + c.length, 0) === item.bytes.length;
        out.push({ register: item.register, chunks: exact ? pending : [item.bytes] });
      }
      pending = [];
    }
  }
  return out;
}

/** Reads a frame fixture (JSON) or a text capture log. */
export function parseCapture(text: string, source: string): CapturedResponse[] {
  const trimmed = text.trimStart();
  let captured: CapturedResponse[];
  if (isCaptureText(trimmed)) {
    captured = [...parseBridgeCapture(trimmed, source).values()].flat();
  } else if (trimmed.startsWith("{")) {
    const doc = JSON.parse(text) as { frames?: Array<{ hex?: string; chunks?: string[] }> };
    captured = (doc.frames ?? []).flatMap((frame) => {
      const chunks = frame.chunks?.map(hexBytes) ?? (frame.hex ? [hexBytes(frame.hex)] : []);
      return responsesFromChunks(chunks);
    });
  } else {
    const chunks = text.split(/\r?\n/).flatMap((line) => lineChunk(line) ?? []);
    captured = responsesFromChunks(chunks);
  }
  if (captured.length === 0)
    throw new BmsError("CONFIG_INVALID", `replay capture ${source} holds no response frames`, { source });
  return captured;
}

export interface ReplayOptions {
  /** Recorded delays are divided by this (2 = twice as fast); default 1. */
  speed?: number;
}

export class ReplayResponder implements Responder {
  readonly #byRegister = new Map<number, CapturedResponse[]>();
  readonly #cursor = new Map<number, number>();
  readonly #speed: number;

  constructor(captured: readonly CapturedResponse[], options: ReplayOptions = {}) {
    this.#speed = options.speed && options.speed > 0 ? options.speed : 1;
    for (const response of captured) {
      const list = this.#byRegister.get(response.register) ?? [];
      list.push(response);
      this.#byRegister.set(response.register, list);
    }
  }

  /** Registers this capture can answer. */
  get registers(): number[] {
    return [...this.#byRegister.keys()];
  }

  reset(): void {}

  respond(request: RequestFrame): Response {
    const list = this.#byRegister.get(request.register);
    if (!list) return encodeResponse(request.register, STATUS.noSuchRegister, new Uint8Array(0));
    const at = this.#cursor.get(request.register) ?? 0;
    this.#cursor.set(request.register, (at + 1) % list.length);
    const response = list[at] as CapturedResponse;
    if (!response.delaysMs) return { chunks: response.chunks };
    return { chunks: response.chunks, delaysMs: response.delaysMs.map((ms) => Math.round(ms / this.#speed)) };
  }
}

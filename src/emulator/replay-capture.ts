/**
 * Replay of a bridge capture (`bms-bridge run --capture FILE.jsonl`, format in src/transport/capture):
 * per battery address, every response frame with the notifications it arrived in and the recorded
 * timing (request → first chunk, then chunk → chunk), so `bms-emu --replay` serves a user's recording
 * back the way their battery sent it.
 */
import { readFile } from "node:fs/promises";
import { BmsError } from "../errors.js";
import { FrameAssembler } from "../protocol/assembler.js";
import { isCaptureText, parseCaptureLines } from "../transport/capture/format.js";
import { type CapturedResponse, parseCapture } from "./replay.js";

interface Pending {
  chunks: Uint8Array[];
  times: number[];
}

/** The responses of one address's rx chunks; `lastTx` gives the request time each response answered. */
function responsesOf(
  chunks: ReadonlyArray<{ t: number; dir: "tx" | "rx"; bytes: Uint8Array }>,
): CapturedResponse[] {
  const assembler = new FrameAssembler();
  const out: CapturedResponse[] = [];
  let pending: Pending = { chunks: [], times: [] };
  let lastTx: number | undefined;
  for (const chunk of chunks) {
    if (chunk.dir === "tx") {
      lastTx = chunk.t;
      continue;
    }
    pending.chunks.push(chunk.bytes);
    pending.times.push(chunk.t);
    for (const item of assembler.push(chunk.bytes)) {
      if (item.kind === "response" || item.kind === "ack" || item.kind === "error_reply") {
        const exact = pending.chunks.reduce((n, c) => n + c.length, 0) === item.bytes.length;
        const response: CapturedResponse = {
          register: item.register,
          chunks: exact ? pending.chunks : [item.bytes],
        };
        if (exact) response.delaysMs = delays(pending.times, lastTx);
        out.push(response);
      }
      pending = { chunks: [], times: [] };
    }
  }
  return out;
}

/** Wait before each chunk: from the request (or 0 without one) to the first, then between chunks. */
function delays(times: readonly number[], requestAt: number | undefined): number[] {
  return times.map((t, i) => Math.max(0, i === 0 ? t - (requestAt ?? t) : t - (times[i - 1] as number)));
}

/** Responses per captured address, in the header's battery order (then any other address seen). */
export function parseBridgeCapture(text: string, source: string): Map<string, CapturedResponse[]> {
  const parsed = parseCaptureLines(text);
  if (!parsed)
    throw new BmsError("CONFIG_INVALID", `${source} is not a bms-bridge capture (no header line)`, {
      source,
    });
  const addresses = [
    ...new Set([...parsed.header.batteries.map((b) => b.address), ...parsed.chunks.map((c) => c.address)]),
  ];
  const byAddress = new Map<string, CapturedResponse[]>();
  for (const address of addresses) {
    const responses = responsesOf(parsed.chunks.filter((c) => c.address === address));
    if (responses.length > 0) byAddress.set(address, responses);
  }
  if (byAddress.size === 0)
    throw new BmsError("CONFIG_INVALID", `replay capture ${source} holds no response frames`, { source });
  return byAddress;
}

/**
 * What `bms-emu --replay FILE` serves: one response list per battery. A bridge capture gives one per
 * captured address; a frame fixture or text log gives one.
 */
export async function loadReplaySources(path: string): Promise<CapturedResponse[][]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new BmsError("CONFIG_INVALID", `cannot read replay capture ${path}: ${(error as Error).message}`, {
      path,
    });
  }
  try {
    if (isCaptureText(text.trimStart())) return [...parseBridgeCapture(text, path).values()];
    return [parseCapture(text, path)];
  } catch (error) {
    if (error instanceof BmsError) throw error;
    throw new BmsError("CONFIG_INVALID", `replay capture ${path} is not valid: ${(error as Error).message}`, {
      path,
    });
  }
}

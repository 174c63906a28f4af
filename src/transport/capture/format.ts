/**
 * The capture file format (`bms-bridge run --capture FILE.jsonl`, replayed by `bms-emu --replay FILE.jsonl`).
 * PURE: building and parsing lines only. JSON lines:
 *
 *   {"type":"bms-bridge-capture","version":1,"bridge_version":"0.1.0","started_at":"2026-…Z","batteries":[{"id":"1","address":"…"}]}
 *   {"t":0,"event":"open","address":"A5:C2:37:3C:76:D2"}
 *   {"t":12,"dir":"tx","address":"A5:C2:37:3C:76:D2","hex":"DD A5 03 00 FF FD 77"}
 *   {"t":95,"dir":"rx","address":"A5:C2:37:3C:76:D2","hex":"DD 03 00 22 05 41 …"}
 *
 * `t` is milliseconds since `started_at`. One `rx` line per chunk as the link delivered it (one BLE
 * notification, one TCP segment), so notification boundaries and their timing survive the round trip.
 */
import { toHex } from "../../protocol/bytes.js";

export const CAPTURE_TYPE = "bms-bridge-capture";
export const CAPTURE_VERSION = 1;

export interface CaptureHeader {
  type: typeof CAPTURE_TYPE;
  version: number;
  bridge_version: string;
  started_at: string;
  batteries: Array<{ id: string; address: string }>;
}

export type CaptureDirection = "tx" | "rx";

/** One chunk on the wire. */
export interface CaptureChunk {
  t: number;
  dir: CaptureDirection;
  address: string;
  hex: string;
}

/** A link opening or closing (context for a reader; replay ignores it). */
export interface CaptureEvent {
  t: number;
  event: "open" | "close";
  address: string;
  reason?: string;
}

export type CaptureLine = CaptureChunk | CaptureEvent;

export function headerLine(header: Omit<CaptureHeader, "type" | "version">): string {
  return JSON.stringify({ type: CAPTURE_TYPE, version: CAPTURE_VERSION, ...header });
}

export function chunkLine(t: number, dir: CaptureDirection, address: string, bytes: Uint8Array): string {
  return JSON.stringify({ t, dir, address, hex: toHex(bytes) } satisfies CaptureChunk);
}

export function eventLine(event: Omit<CaptureEvent, "reason"> & { reason?: string | undefined }): string {
  return JSON.stringify(
    event.reason === undefined ? { t: event.t, event: event.event, address: event.address } : event,
  );
}

/** Whether a text starts with a capture header (cheap sniff for format detection). */
export function isCaptureText(text: string): boolean {
  const first = text.slice(0, text.indexOf("\n") === -1 ? undefined : text.indexOf("\n")).trim();
  if (!first.startsWith("{")) return false;
  try {
    return (JSON.parse(first) as { type?: unknown }).type === CAPTURE_TYPE;
  } catch {
    return false;
  }
}

export interface ParsedCapture {
  header: CaptureHeader;
  chunks: Array<CaptureChunk & { bytes: Uint8Array }>;
  /** 1-based numbers of lines that were not understood (a truncated last line after a crash, …). */
  skippedLines: number[];
}

const HEX_PAIR = /[0-9a-f]{2}/gi;

/** Parses a capture; lines it cannot read are listed, not fatal (a capture cut short by a crash still replays). */
export function parseCaptureLines(text: string): ParsedCapture | undefined {
  const lines = text.split(/\r?\n/);
  let header: CaptureHeader | undefined;
  const chunks: ParsedCapture["chunks"] = [];
  const skippedLines: number[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skippedLines.push(index + 1);
      return;
    }
    const v = value as Partial<CaptureHeader & CaptureChunk & CaptureEvent>;
    if (header === undefined) {
      if (v.type !== CAPTURE_TYPE) return;
      header = v as CaptureHeader;
      return;
    }
    if (v.event !== undefined) return;
    if (
      (v.dir === "tx" || v.dir === "rx") &&
      typeof v.t === "number" &&
      typeof v.address === "string" &&
      typeof v.hex === "string"
    ) {
      const bytes = Uint8Array.from(v.hex.match(HEX_PAIR) ?? [], (b) => Number.parseInt(b, 16));
      chunks.push({ t: v.t, dir: v.dir, address: v.address, hex: v.hex, bytes });
      return;
    }
    skippedLines.push(index + 1);
  });
  return header === undefined ? undefined : { header, chunks, skippedLines };
}

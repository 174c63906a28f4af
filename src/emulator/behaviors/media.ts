/**
 * The base layer of a connection, by medium. Over BLE a reply leaves as notifications of at most 20 bytes
 * (ATT MTU 23), all at once. Over a wire (UART/RS485, and a TCP gateway in front of one) the BMS sends at
 * 9600 baud, 10 bits a byte: a reply is not there before its last byte has crossed the line, ~1 ms a
 * byte (docs/protocol.md §1: 9600 8N1; docs/cli-emu.md "What it answers" says how it is paced).
 * Faults still apply on top: `split` re-cuts the pieces, `delay` adds to the wire time.
 */

import type { Behavior, Step } from "./behavior.js";
import { notificationSplitter, splitSends } from "./faults.js";

export interface WirePacing {
  /** Line time per byte, ms (9600 baud 8N1: 10/9.6 ≈ 1.04). 0 = replies at once. */
  msPerByte: number;
  /**
   * Bytes handed over together. Omitted: the whole reply once its last byte is in, as an RS485-to-TCP
   * gateway forwards when the line goes quiet; 1: byte by byte, as a UART delivers.
   */
  pieceBytes?: number;
}

/** 9600 8N1: a start bit, 8 data bits and a stop bit per byte. */
export const wirePacingForBaud = (baudRate: number, pieceBytes?: number): WirePacing =>
  pieceBytes === undefined ? { msPerByte: 10_000 / baudRate } : { msPerByte: 10_000 / baudRate, pieceBytes };

/** The JBD default line (docs/protocol.md §1), gateway-style delivery. */
export const WIRE_9600: WirePacing = wirePacingForBaud(9600);

export type Medium = { kind: "ble"; notifySize: number } | { kind: "wire"; pacing: WirePacing };

/** Each piece waits for the time its bytes take on the line. */
function pacer(msPerByte: number): Behavior {
  return {
    name: "wire-pacing",
    stage: "delivery",
    apply: (plan) =>
      msPerByte <= 0
        ? plan
        : plan.flatMap((step): Step[] =>
            step.kind === "send" ? [{ kind: "wait", ms: step.bytes.length * msPerByte }, step] : [step],
          ),
  };
}

function pieces(size: number): Behavior {
  return { name: "wire-pieces", stage: "chunk", apply: (plan) => splitSends(plan, size) };
}

/** The base behaviours of a connection over `medium` (they run before any fault). */
export function mediumBehaviors(medium: Medium): Behavior[] {
  if (medium.kind === "ble") return [notificationSplitter(medium.notifySize)];
  const { msPerByte, pieceBytes } = medium.pacing;
  return pieceBytes === undefined ? [pacer(msPerByte)] : [pieces(pieceBytes), pacer(msPerByte)];
}

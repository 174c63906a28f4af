/**
 * An emulated battery behind the emulator's real TCP server that also records every response it produced
 * INTACT (before the fault layer cut, corrupted, delayed or dropped it), decoded with the codec. A value
 * the bridge publishes must equal one of these: otherwise it came from a damaged frame.
 */
import type { EmulatedBatteryOptions } from "../../../src/emulator/battery.js";
import { JbdResponder } from "../../../src/emulator/responder.js";
import { FrameAssembler } from "../../../src/protocol/assembler.js";
import { decodeBasicInfo } from "../../../src/protocol/registers/basic-info.js";
import { decodeCellVoltages } from "../../../src/protocol/registers/cell-voltages.js";
import { startTcpEmulator, type TcpEmulator } from "../../../src/testing/tcp-emulator.js";

export interface IntactReading {
  voltageV: number;
  currentA: number;
  socPct: number;
}

export interface RecordingBattery extends TcpEmulator {
  /** Decoded 0x03 replies produced intact. */
  readonly basics: IntactReading[];
  /** Decoded 0x04 replies produced intact (mV). */
  readonly cells: number[][];
}

function framesOf(response: Uint8Array | { chunks: Uint8Array[] }) {
  const assembler = new FrameAssembler();
  const chunks = response instanceof Uint8Array ? [response] : response.chunks;
  return chunks.flatMap((chunk) => assembler.push(chunk));
}

/** A responder factory for EmulatedBatteryOptions that records every intact 0x03/0x04 reply, decoded. */
export function recordingResponder(): {
  responder: NonNullable<EmulatedBatteryOptions["responder"]>;
  basics: IntactReading[];
  cells: number[][];
} {
  const basics: IntactReading[] = [];
  const cells: number[][] = [];
  const responder: NonNullable<EmulatedBatteryOptions["responder"]> = (model) => {
    const inner = new JbdResponder(model);
    return {
      reset: () => inner.reset(),
      respond(request) {
        const response = inner.respond(request);
        if (response === undefined) return response;
        for (const frame of framesOf(response)) {
          if (frame.kind !== "response" || frame.status !== 0) continue;
          if (frame.register === 0x03) {
            const basic = decodeBasicInfo(frame.data);
            if (basic.ok) basics.push(basic.value);
          } else if (frame.register === 0x04) {
            const decoded = decodeCellVoltages(frame.data);
            if (decoded.ok) cells.push(decoded.value.cellsMv);
          }
        }
        return response;
      },
    };
  };
  return { responder, basics, cells };
}

export async function startRecordingBattery(options: EmulatedBatteryOptions = {}): Promise<RecordingBattery> {
  const { responder, basics, cells } = recordingResponder();
  const emulator = await startTcpEmulator({ ...options, responder });
  return Object.assign(emulator, { basics, cells });
}

/** The status JSON's values match one intact 0x03 and one intact 0x04 reply (2-decimal rounding). */
export function matchesIntactReply(
  status: Record<string, unknown>,
  battery: RecordingBattery,
): string | undefined {
  const near = (a: unknown, b: number, within: number) => typeof a === "number" && Math.abs(a - b) <= within;
  const basicOk = battery.basics.some(
    (b) =>
      near(status.voltage, b.voltageV, 0.0051) &&
      near(status.current, b.currentA, 0.0051) &&
      status.soc === b.socPct,
  );
  const cells = status.cells;
  const cellsOk =
    Array.isArray(cells) &&
    battery.cells.some(
      (mv) => mv.length === cells.length && mv.every((v, i) => near(cells[i], v / 1000, 0.00051)),
    );
  if (basicOk && cellsOk) return undefined;
  return `status ${JSON.stringify({ voltage: status.voltage, current: status.current, soc: status.soc, cells })} matches no intact reply (${basicOk ? "cells" : "basic info"})`;
}

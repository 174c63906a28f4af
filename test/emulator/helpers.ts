/** Small helpers for emulator tests: hex, a synchronous exchange through a port, frame parsing. */
import type { EmulatedBattery } from "../../src/emulator/battery.js";
import type { EmulatorPort } from "../../src/emulator/port.js";
import { FrameAssembler } from "../../src/protocol/assembler.js";
import type { AssemblerItem } from "../../src/protocol/types.js";

export { hex } from "../support/hex.js";

export const toHexString = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");

export interface Wire {
  port: EmulatorPort;
  chunks: Uint8Array[];
  disconnects: number;
  /** Sends bytes and returns the chunks that came back synchronously. */
  send(bytes: Uint8Array): Uint8Array[];
}

export function wire(battery: EmulatedBattery): Wire {
  const port = battery.connect();
  const w: Wire = {
    port,
    chunks: [],
    disconnects: 0,
    send(bytes) {
      const before = w.chunks.length;
      port.receive(bytes);
      return w.chunks.slice(before);
    },
  };
  port.onSend((chunk) => w.chunks.push(chunk));
  port.onDisconnectRequest(() => {
    w.disconnects += 1;
  });
  return w;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

export function framesOf(chunks: readonly Uint8Array[]): AssemblerItem[] {
  return new FrameAssembler().push(concat(chunks));
}

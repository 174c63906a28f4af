/**
 * A tiny stand-in for the emulator's EmulatedBattery behind bleno: it answers reads of 0x03, 0x04 and
 * 0x05 with frames built by the protocol encoders, split into 20-byte chunks like a real DP04S dongle
 * (ATT MTU 23). It records what it received and can drop the central on request.
 */
import type { GattBattery, GattPort } from "../../src/emulator/gatt/bleno.js";
import {
  encodeBasicInfo,
  encodeCellVoltages,
  encodeHardwareVersion,
  encodeResponse,
  FrameAssembler,
} from "../../src/protocol/index.js";
import { SAMPLE_CELLS_MV, sampleBasicInfo } from "../../src/testing/index.js";

export const FAKE_HARDWARE_VERSION = "DP04S007L4S200A";

const REGISTERS: ReadonlyMap<number, () => Uint8Array> = new Map([
  [0x03, () => encodeBasicInfo(sampleBasicInfo())],
  [0x04, () => encodeCellVoltages({ cellsMv: SAMPLE_CELLS_MV })],
  [0x05, () => encodeHardwareVersion({ text: FAKE_HARDWARE_VERSION })],
]);

export function splitInto(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.slice(at, at + size));
  return chunks;
}

export interface FakeGattBattery extends GattBattery {
  /** Every request frame received, as hex, across connections. */
  readonly received: string[];
  connections: number;
  /** Asks the GATT adapter to drop the current central (like the emulator's fault layer). */
  dropCentral(): void;
}

export function fakeGattBattery(name: string, mac: string): FakeGattBattery {
  const dropListeners = new Set<() => void>();
  const battery: FakeGattBattery = {
    name,
    mac,
    received: [],
    connections: 0,
    dropCentral: () => {
      for (const listener of [...dropListeners]) listener();
    },
    connect(): GattPort {
      battery.connections++;
      const assembler = new FrameAssembler();
      const sendListeners = new Set<(chunk: Uint8Array) => void>();
      const send = (frame: Uint8Array) => {
        for (const chunk of splitInto(frame, 20)) for (const listener of sendListeners) listener(chunk);
      };
      return {
        receive(bytes) {
          for (const item of assembler.push(bytes)) {
            if (item.kind !== "request") continue;
            battery.received.push(Buffer.from(item.bytes).toString("hex"));
            const data = REGISTERS.get(item.register);
            send(
              data
                ? encodeResponse(item.register, 0, data())
                : encodeResponse(item.register, 0x80, new Uint8Array()),
            );
          }
        },
        onSend(listener) {
          sendListeners.add(listener);
          return () => sendListeners.delete(listener);
        },
        onDisconnectRequest(listener) {
          dropListeners.add(listener);
          return () => dropListeners.delete(listener);
        },
        close() {
          sendListeners.clear();
          dropListeners.clear();
        },
      };
    },
  };
  return battery;
}

/** Shared steps of the BLE suites: adapters on lab ptys, and one request/response over a Link. */
import { startBlenoPeripheral } from "../../src/emulator/gatt/bleno.js";
import { encodeReadRequest, FrameAssembler, type ResponseFrame } from "../../src/protocol/index.js";
import { openBleAdapter } from "../../src/transport/ble/index.js";
import type { QueueEvent } from "../../src/transport/ble/operation-queue.js";
import { HCI_UART_BAUD, type HciSelection } from "../../src/transport/hci.js";
import type { Link } from "../../src/transport/types.js";
import type { FakeGattBattery } from "./fake-gatt-battery.js";

export const uart = (port: string): HciSelection => ({ driver: "uart", port, baudRate: HCI_UART_BAUD });

export function centralOn(port: string, onQueueEvent?: (event: QueueEvent) => void) {
  return openBleAdapter({ hci: uart(port), ...(onQueueEvent ? { onQueueEvent } : {}) });
}

export function peripheralOn(port: string, battery: FakeGattBattery) {
  return startBlenoPeripheral({ hci: uart(port), battery });
}

export interface Exchange {
  frame: ResponseFrame;
  /** How many notifications carried it. */
  chunks: number;
}

/** Writes a read request for `register` and reassembles the reply; rejects after `timeoutMs`. */
export function readRegister(link: Link, register: number, timeoutMs = 5000): Promise<Exchange> {
  const assembler = new FrameAssembler();
  let chunks = 0;
  return new Promise<Exchange>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no reply to register 0x${register.toString(16)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = link.onData((chunk) => {
      chunks++;
      for (const item of assembler.push(chunk)) {
        if (item.kind === "response" || item.kind === "error_reply" || item.kind === "ack") {
          clearTimeout(timer);
          off();
          resolve({ frame: item, chunks });
        }
      }
    });
    link.write(encodeReadRequest(register)).catch((error: unknown) => {
      clearTimeout(timer);
      off();
      reject(error);
    });
  });
}

/** Connecting and disconnecting one peripheral through the adapter's queue, with deadlines. */
import type { Peripheral } from "@stoprocent/noble";
import { BmsError, isBmsError, toBmsError } from "../../errors.js";
import { normalizeMac } from "../address.js";
import type { BleAdapter } from "./adapter.js";
import { findPeripheral } from "./scan.js";

/** What is left of an overall deadline, never less than a small floor so a step can at least start. */
export function remainingMs(adapter: BleAdapter, deadline: number): number {
  return Math.max(250, deadline - adapter.clock.now());
}

export function requireMac(address: string): string {
  const mac = normalizeMac(address);
  if (!mac) throw new BmsError("USAGE", `"${address}" is not a BLE MAC address (AA:BB:CC:DD:EE:FF)`);
  return mac;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new BmsError("CANCELED", "BLE connect was canceled", {}, { cause: signal.reason });
}

/** Scans for `mac` (DEVICE_NOT_FOUND) and connects (CONNECT_FAILED / TIMEOUT) before `deadline`. */
export async function connectPeripheral(
  adapter: BleAdapter,
  mac: string,
  deadline: number,
  signal?: AbortSignal,
): Promise<Peripheral> {
  throwIfAborted(signal);
  const peripheral = await findPeripheral(adapter, mac, remainingMs(adapter, deadline));
  throwIfAborted(signal);
  const connectMs = remainingMs(adapter, deadline);
  await adapter.queue
    .run(
      `connect ${mac}`,
      async (opSignal) => {
        const cancel = () => peripheral.cancelConnect();
        opSignal.addEventListener("abort", cancel, { once: true });
        try {
          await peripheral.connectAsync();
        } catch (error) {
          throw new BmsError("CONNECT_FAILED", `connecting to ${mac} failed: ${toBmsError(error).message}`, {
            address: mac,
          });
        } finally {
          opSignal.removeEventListener("abort", cancel);
        }
      },
      connectMs,
    )
    .catch((error: unknown) => {
      if (!isBmsError(error, "TIMEOUT")) throw error;
      throw new BmsError(
        "CONNECT_FAILED",
        `connecting to ${mac} timed out after ${Math.round(connectMs / 100) / 10} s (it was seen advertising; ` +
          "out of range, or another central such as the phone app took it?)",
        { address: mac, timedOut: true },
      );
    });
  return peripheral;
}

/** Best effort, bounded: used on close and on every failure path after a connect. */
export async function disconnectQuietly(adapter: BleAdapter, peripheral: Peripheral): Promise<void> {
  if (peripheral.state === "disconnected") return;
  await adapter.queue
    .run(`disconnect ${peripheral.address}`, () => peripheral.disconnectAsync(), 3000)
    .catch((error: unknown) => {
      adapter.logger?.debug(`disconnect of ${peripheral.address} failed: ${toBmsError(error).message}`);
    });
}

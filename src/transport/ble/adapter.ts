/**
 * What scanning, connecting and links need from a BLE adapter (BleAdapter), and the plain one-shot
 * adapter the CLI's `scan`/`discover` use: one noble instance, no reopening. The bridge uses the
 * supervised adapter instead (supervisor.ts), which outlives the noble instances it opens.
 */
import type { Noble } from "@stoprocent/noble";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { type Clock, systemClock } from "../../util/clock.js";
import { describeHci, type HciSelection } from "../hci.js";
import { openNobleInstance } from "./noble-instance.js";
import { OperationQueue, type QueueEvent } from "./operation-queue.js";

export { describeHci };

export interface BleAdapterOptions {
  hci: HciSelection;
  clock?: Clock;
  logger?: Logger;
  /** How long to wait for the adapter to report poweredOn (default 4 s). */
  powerOnTimeoutMs?: number;
  /** Instrumentation of the adapter's operation queue (tests, diagnostics). */
  onQueueEvent?: (event: QueueEvent) => void;
}

export interface BleAdapter {
  readonly hci: HciSelection;
  /** The noble instance in use now; ADAPTER_LOST (thrown) while the adapter is down. */
  readonly noble: Noble;
  readonly queue: OperationQueue;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  /** Resolves once the adapter can be used (waiting at most `timeoutMs`); ADAPTER_LOST when it is down. */
  ready(timeoutMs: number): Promise<void>;
  /** Told once when the noble instance in use now ends (lost or reset): its links are dead. */
  onInstanceEnd(listener: (error: BmsError) => void): () => void;
  /** Stops noble (its HCI poll timer would otherwise keep the process alive). Idempotent. */
  close(): Promise<void>;
}

export function adapterLost(hci: HciSelection, reason: string): BmsError {
  return new BmsError("ADAPTER_LOST", `Bluetooth adapter ${describeHci(hci)} lost: ${reason}`, {
    hci: describeHci(hci),
    reason,
  });
}

/** Listeners told once, then forgotten (a new noble instance has new links). */
export class InstanceEndListeners {
  #listeners = new Set<(error: BmsError) => void>();

  add(listener: (error: BmsError) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(error: BmsError): void {
    const listeners = this.#listeners;
    this.#listeners = new Set();
    for (const listener of listeners) listener(error);
  }
}

/** Opens and powers on the adapter; ADAPTER_UNAVAILABLE within `powerOnTimeoutMs` when it cannot. */
export async function openBleAdapter(options: BleAdapterOptions): Promise<BleAdapter> {
  const { hci, logger } = options;
  const clock = options.clock ?? systemClock;
  const instance = await openNobleInstance({
    hci,
    clock,
    logger,
    powerOnTimeoutMs: options.powerOnTimeoutMs ?? 4000,
  });
  const queue = new OperationQueue({
    clock,
    ...(options.onQueueEvent ? { onEvent: options.onQueueEvent } : {}),
  });
  const ends = new InstanceEndListeners();
  let lost: BmsError | undefined;
  instance.onLost((reason) => {
    lost = adapterLost(hci, reason);
    queue.hold(lost);
    ends.emit(lost);
  });
  let closed = false;
  return {
    hci,
    noble: instance.noble,
    queue,
    clock,
    logger,
    ready: async () => {
      if (lost) throw lost;
    },
    onInstanceEnd: (listener) => ends.add(listener),
    close: async () => {
      if (closed) return;
      closed = true;
      queue.close(new BmsError("CANCELED", `Bluetooth adapter ${describeHci(hci)} was closed`));
      instance.close();
    },
  };
}

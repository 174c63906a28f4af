/**
 * A Link over the JBD UART-over-GATT service: notifications from FF01 are the incoming bytes, writes go
 * to FF02 (docs/background.md §3). Some variants use FFF0/FFF1/FFF2. Every GATT step goes through the adapter's
 * queue. Each connection subscribes exactly once and removes its handlers on close: duplicate notify
 * handlers after a reconnect corrupt frames in other bridges (docs/background.md §6.8).
 */
import type { Characteristic, Peripheral } from "@stoprocent/noble";
import { BmsError, toBmsError } from "../../errors.js";
import { LinkListeners } from "../link-listeners.js";
import type { CloseListener, DataListener, Link, OpenOptions } from "../types.js";
import type { BleAdapter } from "./adapter.js";
import { connectPeripheral, disconnectQuietly, remainingMs, requireMac } from "./connect.js";
import { shortUuid } from "./jbd-verdict.js";

/** service, notify (device → us), write (us → device); first match wins. */
const UART_SERVICES = [
  { service: "ff00", notify: "ff01", write: "ff02" },
  { service: "fff0", notify: "fff1", write: "fff2" },
] as const;

interface UartPair {
  notify: Characteristic;
  write: Characteristic;
}

async function findUart(peripheral: Peripheral): Promise<UartPair | { seen: string[] }> {
  // only the services asked for that exist come back; noble's "discover some" variant rejects on any missing
  const services = await peripheral.discoverServicesAsync(UART_SERVICES.map((s) => s.service));
  for (const wanted of UART_SERVICES) {
    const service = services.find((s) => shortUuid(s.uuid) === wanted.service);
    if (!service) continue;
    const characteristics = await service.discoverCharacteristicsAsync([wanted.notify, wanted.write]);
    const find = (uuid: string) => characteristics.find((c) => shortUuid(c.uuid) === uuid);
    const notify = find(wanted.notify);
    const write = find(wanted.write);
    if (notify && write) return { notify, write };
  }
  return { seen: services.map((s) => shortUuid(s.uuid).toUpperCase()) };
}

async function discoverUart(adapter: BleAdapter, peripheral: Peripheral, mac: string, timeoutMs: number) {
  const result = await adapter.queue.run(`discover ${mac}`, () => findUart(peripheral), timeoutMs);
  if ("notify" in result) return result;
  throw new BmsError(
    "GATT_MISSING",
    `${mac} has no JBD UART service (FF00 with FF01/FF02, or FFF0 with FFF1/FFF2); ` +
      `matching services found: ${result.seen.join(", ") || "none"}`,
    { address: mac },
  );
}

export class BleLink implements Link {
  readonly address: string;
  readonly #adapter: BleAdapter;
  readonly #peripheral: Peripheral;
  readonly #uart: UartPair;
  readonly #listeners = new LinkListeners();
  readonly #offInstanceEnd: () => void;
  #open = true;
  #withoutResponse: boolean;

  constructor(adapter: BleAdapter, peripheral: Peripheral, mac: string, uart: UartPair) {
    this.address = mac;
    this.#adapter = adapter;
    this.#peripheral = peripheral;
    this.#uart = uart;
    this.#withoutResponse = uart.write.properties.includes("writeWithoutResponse");
    uart.notify.on("data", this.#onNotification);
    peripheral.once("disconnect", this.#onDisconnect);
    // a lost or reset adapter takes its links with it, even when noble says nothing about them
    this.#offInstanceEnd = adapter.onInstanceEnd((error) => {
      if (this.#open) this.#finish(error);
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** From the advertisement that found it (noble keeps it current); HCI's 127 means "not available". */
  get rssi(): number | undefined {
    const rssi = this.#peripheral.rssi;
    return typeof rssi === "number" && rssi !== 127 ? rssi : undefined;
  }

  readonly #onNotification = (data: Buffer, isNotification: boolean) => {
    if (!this.#open || !isNotification) return;
    const chunk = Uint8Array.from(data);
    this.#listeners.emitData(chunk);
  };

  readonly #onDisconnect = () => {
    // noble drops every link of an adapter that went away just before it says so: a moment later the
    // adapter's end (ADAPTER_LOST) has closed this link with the real cause, if that was it
    queueMicrotask(() => {
      if (!this.#open) return;
      this.#finish(new BmsError("DISCONNECTED", `${this.address} disconnected`, { address: this.address }));
    });
  };

  /** Subscribes FF01 once; called by openBleLink before the link is handed out. */
  async subscribe(timeoutMs: number): Promise<void> {
    await this.#adapter.queue.run(
      `subscribe ${this.address}`,
      () => this.#uart.notify.subscribeAsync(),
      timeoutMs,
    );
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.#open) {
      throw new BmsError("NOT_OPEN", `link to ${this.address} is closed`, { address: this.address });
    }
    const data = Buffer.from(bytes);
    await this.#adapter.queue.run(`write ${this.address}`, async () => {
      if (this.#withoutResponse) {
        try {
          return await this.#uart.write.writeAsync(data, true);
        } catch {
          // older dongles only accept write-with-response (docs/background.md §3); remember it for this link
          this.#withoutResponse = false;
        }
      }
      await this.#uart.write.writeAsync(data, false);
    });
  }

  onData(listener: DataListener): () => void {
    return this.#listeners.onData(listener);
  }

  onClose(listener: CloseListener): () => void {
    return this.#listeners.onClose(listener);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#finish(undefined);
    await disconnectQuietly(this.#adapter, this.#peripheral);
  }

  #finish(error: BmsError | undefined): void {
    this.#open = false;
    this.#offInstanceEnd();
    this.#uart.notify.removeListener("data", this.#onNotification);
    this.#peripheral.removeListener("disconnect", this.#onDisconnect);
    this.#listeners.emitClose(error);
  }
}

/**
 * Scans for `address`, connects, finds the UART service and subscribes, all within `options.timeoutMs`.
 * Errors: ADAPTER_LOST / ADAPTER_UNAVAILABLE (the adapter is down), DEVICE_NOT_FOUND, CONNECT_FAILED,
 * GATT_MISSING, TIMEOUT, CANCELED (all BmsError).
 */
export async function openBleLink(adapter: BleAdapter, address: string, options: OpenOptions): Promise<Link> {
  const mac = requireMac(address);
  const deadline = adapter.clock.now() + options.timeoutMs;
  await adapter.ready(options.timeoutMs);
  const peripheral = await connectPeripheral(adapter, mac, deadline, options.signal);
  try {
    const uart = await discoverUart(adapter, peripheral, mac, remainingMs(adapter, deadline));
    const link = new BleLink(adapter, peripheral, mac, uart);
    try {
      await link.subscribe(remainingMs(adapter, deadline));
    } catch (error) {
      await link.close();
      throw error;
    }
    return link;
  } catch (error) {
    await disconnectQuietly(adapter, peripheral);
    throw setUpError(error, mac, adapterDown(adapter));
  }
}

/** The adapter's own error while it is down (reading `noble` throws ADAPTER_LOST then), else undefined. */
function adapterDown(adapter: BleAdapter): BmsError | undefined {
  try {
    void adapter.noble;
    return undefined;
  } catch (error) {
    return toBmsError(error);
  }
}

/**
 * What a failure after the connection was made (service discovery, subscription) is. Ours are already
 * BmsErrors (GATT_MISSING, TIMEOUT…); noble's own errors there mean the adapter went away, or else the
 * battery dropped the link it had just accepted. As IO, they showed in the link report and the
 * availability reason as cause `other`, which tells a user nothing.
 */
export function setUpError(error: unknown, mac: string, adapterError: BmsError | undefined): BmsError {
  if (error instanceof BmsError) return error;
  if (adapterError !== undefined) return adapterError;
  const message = error instanceof Error ? error.message : String(error);
  return new BmsError(
    "DISCONNECTED",
    `${mac}: the link dropped while it was being set up: ${message}`,
    { address: mac },
    { cause: error },
  );
}

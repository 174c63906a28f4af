/**
 * A JBD dongle as a BLE peripheral (bleno, imported lazily, only here): service FF00 with FF01
 * (read + notify, battery → central) and FF02 (write + write-without-response, central → battery),
 * advertised like a DP04S dongle (advertising.ts). Two users: the emulator's battery (`bms-emu --hci`,
 * src/emulator/gatt/bleno.ts) and the bridge's mirror of a real battery (src/bridge/features/mirror/).
 *
 * Thin by design: every connection gets its own GattPort; written bytes go to `port.receive`, and
 * each chunk the port sends becomes exactly one notification. Splitting into 20-byte chunks is the
 * port's (fault layer's) job, since the negotiated MTU (253 in the virtual lab) would allow bigger ones.
 * bleno (stoprocent) callbacks take the connection handle first.
 *
 * When the adapter goes away (unplugged, powered off) the peripheral keeps trying to come back, on a
 * fresh bleno instance each time (the old one cannot recover, as with noble: src/transport/ble/
 * noble-instance.ts), and advertises again once it does, as a real dongle does when powered again.
 */

import { existsSync } from "node:fs";
import type { Bleno, ConnectionHandle, UpdateValueCallback } from "@stoprocent/bleno";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { doublingDelayMs } from "../../util/backoff.js";
import { type Clock, systemClock, type TimerHandle } from "../../util/clock.js";
import {
  describeAdapterLoss,
  describeHci,
  type HciSelection,
  hciBindingOptions,
  quietStoppedBindings,
} from "../hci.js";
import { watchPortGone } from "../hci-port-watch.js";
import { encodeJbdAdvertisement } from "./advertising.js";

/** One central's conversation (structurally the emulator's EmulatorPort). */
export interface GattPort {
  receive(bytes: Uint8Array): void;
  onSend(listener: (chunk: Uint8Array) => void): () => void;
  onDisconnectRequest(listener: () => void): () => void;
  close(): void;
}

export interface GattBattery {
  /** Advertised name, e.g. DP04S007L4S200A. */
  name: string;
  /**
   * The MAC carried in the manufacturer data. Undefined: the controller's own address, as a real
   * dongle advertises its own MAC.
   */
  mac?: string | undefined;
  /**
   * Throws while the battery cannot take a central (switched off). `central` is the central's address,
   * as the controller reports it.
   */
  connect(central?: string): GattPort;
  /** Switched off / on: advertising stops and starts with it. */
  onOnlineChange?(listener: (online: boolean) => void): () => void;
  /** Whether to advertise at all right now (default: yes); checked at start and when the adapter returns. */
  isOnline?(): boolean;
}

export interface BlenoPeripheralOptions {
  hci: HciSelection;
  battery: GattBattery;
  logger?: Logger;
  clock?: Clock;
  powerOnTimeoutMs?: number;
}

export interface BlenoPeripheral {
  /** The controller's own address (in the virtual lab 00:AA:01:0N:00:42, not the battery's MAC). */
  readonly controllerAddress: string;
  /** Whether a central is connected right now. */
  readonly connected: boolean;
  /** Whether the adapter is there and advertising (false while it is away). */
  readonly advertising: boolean;
  /** Disconnects centrals, stops advertising and releases the controller. Idempotent. */
  stop(): Promise<void>;
}

type DisconnectOne = { disconnect(handle: ConnectionHandle): void };

interface Session {
  port: GattPort;
  notify?: UpdateValueCallback;
  unsubscribe: Array<() => void>;
}

/** One bleno instance advertising the battery, from power-on to its end. */
interface Advertiser {
  bleno: Bleno;
  address: string;
  /** The MAC carried in the manufacturer data. */
  mac: string;
  sessions: Map<ConnectionHandle, Session>;
  stopWatching?: () => void;
  close(): void;
}

const REOPEN_FIRST_MS = 1000;
const REOPEN_MAX_MS = 30_000;

async function powerOn(hci: HciSelection, timeoutMs: number): Promise<Bleno> {
  let bleno: Bleno;
  try {
    bleno = (await import("@stoprocent/bleno")).withBindings("hci", hciBindingOptions(hci));
  } catch (error) {
    throw new BmsError(
      "ADAPTER_UNAVAILABLE",
      `cannot load @stoprocent/bleno: ${String(error)}`,
      {},
      { cause: error },
    );
  }
  try {
    await bleno.waitForPoweredOnAsync(timeoutMs);
    return bleno;
  } catch (error) {
    bleno.stop();
    quietStoppedBindings(bleno);
    throw new BmsError(
      "ADAPTER_UNAVAILABLE",
      `Bluetooth adapter ${describeHci(hci)} did not power on within ${timeoutMs} ms (state: ${bleno.state})`,
      { hci: describeHci(hci) },
      { cause: error },
    );
  }
}

function buildService(bleno: Bleno, sessions: Map<ConnectionHandle, Session>) {
  const notifyCharacteristic = new bleno.Characteristic({
    uuid: "ff01",
    properties: ["read", "notify"],
    onReadRequest: (_handle, _offset, callback) => callback(0, Buffer.alloc(0)),
    onSubscribe: (handle, _maxValueSize, update) => {
      const session = sessions.get(handle);
      if (session) session.notify = update;
    },
    onUnsubscribe: (handle) => {
      const session = sessions.get(handle);
      if (session) delete session.notify;
    },
  });
  const writeCharacteristic = new bleno.Characteristic({
    uuid: "ff02",
    properties: ["write", "writeWithoutResponse"],
    onWriteRequest: (handle, data, _offset, _withoutResponse, callback) => {
      sessions.get(handle)?.port.receive(Uint8Array.from(data));
      callback(0); // bleno only answers a write request; a write command's callback is a no-op
    },
  });
  return new bleno.PrimaryService({
    uuid: "ff00",
    characteristics: [notifyCharacteristic, writeCharacteristic],
  });
}

/** Powers on one bleno instance, sets up FF00 and advertises; ADAPTER_UNAVAILABLE when it cannot. */
async function advertise(options: BlenoPeripheralOptions): Promise<Advertiser> {
  const { battery, hci, logger } = options;
  const bleno = await powerOn(hci, options.powerOnTimeoutMs ?? 4000);
  const sessions = new Map<ConnectionHandle, Session>();
  const endSession = (handle: ConnectionHandle) => {
    const session = sessions.get(handle);
    if (!session) return;
    sessions.delete(handle);
    for (const off of session.unsubscribe) off();
    session.port.close();
  };
  bleno.on("accept", (address, handle) => {
    logger?.debug(`central ${address} connected`, { handle });
    let port: GattPort;
    try {
      port = battery.connect(address);
    } catch {
      // switched off between the advertisement and the connection: the dongle is gone
      (bleno as unknown as DisconnectOne).disconnect(handle);
      return;
    }
    const session: Session = { port, unsubscribe: [] };
    session.unsubscribe.push(
      port.onSend((chunk) => session.notify?.(Buffer.from(chunk))),
      // the fault layer drops this one central; bleno's typings omit disconnect's handle argument
      port.onDisconnectRequest(() => (bleno as unknown as DisconnectOne).disconnect(handle)),
    );
    sessions.set(handle, session);
  });
  bleno.on("disconnect", (address, handle) => {
    logger?.debug(`central ${address} disconnected`, { handle });
    endSession(handle);
  });
  const mac = battery.mac ?? bleno.address.toUpperCase();
  const { advertisement, scanResponse } = encodeJbdAdvertisement(battery.name, mac);
  const advertiseNow = () =>
    bleno.startAdvertisingWithEIRDataAsync(Buffer.from(advertisement), Buffer.from(scanResponse));
  let closed = false;
  // switched off / on (the emulator's battery): advertising stops and starts with it
  const offOnline = battery.onOnlineChange?.((online) => {
    if (closed) return;
    if (online) advertiseNow().catch((error: unknown) => logger?.warn(`advertising again failed: ${error}`));
    else bleno.stopAdvertising();
  });
  const close = () => {
    if (closed) return;
    closed = true;
    offOnline?.();
    for (const handle of [...sessions.keys()]) endSession(handle);
    bleno.removeAllListeners("accept");
    bleno.removeAllListeners("disconnect");
    bleno.removeAllListeners("stateChange");
    bleno.stop();
    quietStoppedBindings(bleno);
  };
  try {
    await bleno.setServicesAsync([buildService(bleno, sessions)]);
    if (battery.isOnline?.() !== false) await advertiseNow();
  } catch (error) {
    close();
    throw new BmsError("ADAPTER_UNAVAILABLE", `advertising on ${describeHci(hci)} failed: ${String(error)}`, {
      hci: describeHci(hci),
    });
  }
  return { bleno, address: bleno.address.toUpperCase(), mac, sessions, close };
}

/**
 * Powers on the controller, sets up FF00 and advertises; ADAPTER_UNAVAILABLE when it cannot at first.
 * Later losses of the adapter are healed in the background until stop().
 */
export async function startBlenoPeripheral(options: BlenoPeripheralOptions): Promise<BlenoPeripheral> {
  const { battery, hci, logger } = options;
  const clock = options.clock ?? systemClock;
  const where = describeHci(hci);
  let current: Advertiser | undefined = await advertise(options);
  let address = current.address;
  let stopped = false;
  let attempts = 0;
  let retry: TimerHandle | undefined;
  logger?.debug(`advertising ${battery.name} (${current.mac}) on ${where} as ${address}`);

  const watch = (advertiser: Advertiser) => {
    const lost = (state: string) => {
      if (state === "poweredOn" || stopped || advertiser !== current) return;
      const portExists = hci.driver === "uart" && existsSync(hci.port);
      logger?.warn(
        `Bluetooth adapter ${where} lost: ${describeAdapterLoss(hci, state, portExists)}; advertising ${battery.name} again when it returns`,
      );
      current = undefined;
      stopWatching();
      advertiser.close();
      schedule();
    };
    advertiser.bleno.on("stateChange", lost);
    const stopWatching = watchPortGone(hci, clock, () => lost("poweredOff"));
    advertiser.stopWatching = stopWatching;
  };
  const schedule = () => {
    attempts++;
    retry = clock.setTimeout(() => void reopen(), doublingDelayMs(attempts, REOPEN_FIRST_MS, REOPEN_MAX_MS));
  };
  const reopen = async () => {
    retry = undefined;
    try {
      const advertiser = await advertise(options);
      if (stopped) return advertiser.close();
      current = advertiser;
      address = advertiser.address;
      logger?.info(`Bluetooth adapter ${where} is back: advertising ${battery.name} again as ${address}`);
      attempts = 0;
      watch(advertiser);
    } catch (error) {
      logger?.debug(`${where}: not back yet (${(error as Error).message})`);
      if (!stopped) schedule();
    }
  };
  watch(current);

  return {
    get controllerAddress() {
      return address;
    },
    get connected() {
      return (current?.sessions.size ?? 0) > 0;
    },
    get advertising() {
      return current !== undefined;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (retry !== undefined) clock.clearTimeout(retry);
      current?.stopWatching?.();
      current?.close();
      current = undefined;
    },
  };
}

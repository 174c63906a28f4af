/**
 * The emulated battery as a BLE peripheral (bleno, imported lazily, only here): service FF00 with FF01
 * (read + notify, battery → central) and FF02 (write + write-without-response, central → battery),
 * advertised like a DP04S dongle (advertising.ts).
 *
 * Thin by design: every connection gets its own EmulatorPort; written bytes go to `port.receive`, and
 * each chunk the port sends becomes exactly one notification. Splitting into 20-byte chunks is the
 * port's (fault layer's) job, since the negotiated MTU (253 in the virtual lab) would allow bigger ones.
 * bleno (stoprocent) callbacks take the connection handle first (docs/virtual-ble.md).
 */
import type { Bleno, ConnectionHandle, UpdateValueCallback } from "@stoprocent/bleno";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { HciSelection } from "../../transport/hci.js";
import type { EmulatedBattery } from "../battery.js";
import { encodeJbdAdvertisement } from "./advertising.js";

/** What this adapter needs from the emulator (structurally the emulator's EmulatorPort). */
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
  /** Throws while the battery cannot take a central (switched off). */
  connect(): GattPort;
  /** Switched off / on: advertising stops and starts with it. */
  onOnlineChange?(listener: (online: boolean) => void): () => void;
}

/** The emulator's battery as seen by this adapter: its BLE name, its given MAC (if any), its ports. */
export function gattBatteryOf(battery: EmulatedBattery): GattBattery {
  return {
    name: battery.profile.bleName,
    mac: battery.addressGiven ? battery.address : undefined,
    connect: () => battery.connect(),
    onOnlineChange: (listener) => battery.onOnlineChange(listener),
  };
}

export interface BlenoPeripheralOptions {
  hci: HciSelection;
  battery: GattBattery;
  logger?: Logger;
  powerOnTimeoutMs?: number;
}

export interface BlenoPeripheral {
  /** The controller's own address (in the virtual lab 00:AA:01:00:00:xx, not the battery's MAC). */
  readonly controllerAddress: string;
  /** Whether a central is connected right now. */
  readonly connected: boolean;
  /** Disconnects centrals, stops advertising and releases the controller. Idempotent. */
  stop(): Promise<void>;
}

type DisconnectOne = { disconnect(handle: ConnectionHandle): void };

/**
 * bleno 0.12's HCI layer re-arms a 1 s "is the device up?" poll timer forever, even after stop(), so a
 * process that stopped every peripheral never exits. After stop we turn that poll into a no-op (the
 * pending timer fires once more and is not re-armed). Guarded: a bleno without this internal is left as is.
 */
function endDevicePolling(bleno: Bleno): void {
  const hci = (bleno as unknown as { _bindings?: { _hci?: { pollIsDevUp?: () => void } } })._bindings?._hci;
  if (hci && typeof hci.pollIsDevUp === "function") hci.pollIsDevUp = () => {};
}

interface Session {
  port: GattPort;
  notify?: UpdateValueCallback;
  unsubscribe: Array<() => void>;
}

function hciName(hci: HciSelection): string {
  return hci.driver === "uart" ? `uart:${hci.port}` : `hci${hci.deviceId}`;
}

function bindingOptions(hci: HciSelection): Record<string, unknown> {
  if (hci.driver === "uart") {
    return { hciDriver: "uart", bindParams: { uart: { port: hci.port, baudRate: hci.baudRate } } };
  }
  return { deviceId: hci.deviceId };
}

async function powerOn(hci: HciSelection, timeoutMs: number): Promise<Bleno> {
  let bleno: Bleno;
  try {
    bleno = (await import("@stoprocent/bleno")).withBindings("hci", bindingOptions(hci));
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
    endDevicePolling(bleno);
    throw new BmsError(
      "ADAPTER_UNAVAILABLE",
      `Bluetooth adapter ${hciName(hci)} did not power on within ${timeoutMs} ms (state: ${bleno.state})`,
      { hci: hciName(hci) },
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

/** Powers on the controller, sets up FF00 and advertises; ADAPTER_UNAVAILABLE when it cannot. */
export async function startBlenoPeripheral(options: BlenoPeripheralOptions): Promise<BlenoPeripheral> {
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
    logger?.info(`central ${address} connected`, { handle });
    let port: GattPort;
    try {
      port = battery.connect();
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
    logger?.info(`central ${address} disconnected`, { handle });
    endSession(handle);
  });
  const mac = battery.mac ?? bleno.address.toUpperCase();
  const { advertisement, scanResponse } = encodeJbdAdvertisement(battery.name, mac);
  const advertise = () =>
    bleno.startAdvertisingWithEIRDataAsync(Buffer.from(advertisement), Buffer.from(scanResponse));
  try {
    await bleno.setServicesAsync([buildService(bleno, sessions)]);
    await advertise();
  } catch (error) {
    bleno.stop();
    endDevicePolling(bleno);
    throw new BmsError("ADAPTER_UNAVAILABLE", `advertising on ${hciName(hci)} failed: ${String(error)}`, {
      hci: hciName(hci),
    });
  }
  logger?.info(`advertising ${battery.name} (${mac}) on ${hciName(hci)} as ${bleno.address}`);
  let stopped = false;
  const offOnline = battery.onOnlineChange?.((online) => {
    if (stopped) return;
    if (online) advertise().catch((error: unknown) => logger?.warn(`advertising again failed: ${error}`));
    else bleno.stopAdvertising();
  });
  return {
    controllerAddress: bleno.address.toUpperCase(),
    get connected() {
      return sessions.size > 0;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      offOnline?.();
      for (const handle of [...sessions.keys()]) endSession(handle);
      bleno.removeAllListeners("accept");
      bleno.removeAllListeners("disconnect");
      bleno.stop();
      endDevicePolling(bleno);
    },
  };
}

/**
 * One entry point to open a link to any battery address (address.ts), whatever the medium:
 * BLE (lazy import of the noble adapter, one opener per HCI adapter), serial, TCP, or an in-process
 * battery registered by name (`memory:name`, used by `bms-bridge demo` and tests).
 */
import { BmsError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { Clock } from "../util/clock.js";
import { type BatteryAddress, formatAddress } from "./address.js";
import type { AdapterEvent, AdapterHealth } from "./ble/supervisor.js";
import type { Link, LinkOpener, OpenOptions } from "./types.js";

export type { AdapterEvent, AdapterHealth };

/** A BLE opener bound to one adapter; closing it releases the adapter. */
export interface AdapterOpener extends LinkOpener {
  close(): Promise<void>;
  /** The adapter's counters (link health); absent for openers that do not keep any. */
  readonly health?: AdapterHealth;
}

/** What a BLE opener is given besides its HCI selection. */
export interface AdapterContext {
  clock: Clock;
  logger: Logger;
  /** How long an adapter may stay unusable before it is fatal (default 10 min). */
  adapter?: { giveUpAfterMs?: number };
  /** Lost, back, wedged, fatal: the bridge logs nothing more, but a fatal one ends the run (exit 1). */
  onAdapterEvent?: (event: AdapterEvent) => void;
}

/** Produces a fresh link to an in-process battery each time it is called. */
export type MemoryConnector = () => Link | Promise<Link>;

export interface BatteryLinkOpenerContext {
  clock: Clock;
  logger: Logger;
  /** In-process batteries by name (`memory:<name>`). */
  memory?: ReadonlyMap<string, MemoryConnector>;
  /** Creates the BLE opener for one adapter; default: the noble adapter in ./ble, imported lazily. */
  createBleOpener?: (hci: string, ctx: AdapterContext) => Promise<AdapterOpener>;
  adapter?: AdapterContext["adapter"];
  onAdapterEvent?: AdapterContext["onAdapterEvent"];
}

export interface LinkTarget {
  target: BatteryAddress;
  /** HCI selection for BLE targets. */
  hci: string;
}

/**
 * Opens a link to a configured battery whatever its medium (the poller's one way to reach a battery);
 * LinkOpener (types.ts) opens addresses of one medium, AdapterOpener is a LinkOpener bound to a BLE adapter.
 */
export interface BatteryLinkOpener {
  open(battery: LinkTarget, options: OpenOptions): Promise<Link>;
  /** Releases adapters opened for BLE. */
  close(): Promise<void>;
  /** Counters of every BLE adapter opened so far. */
  adapterHealth(): AdapterHealth[];
}

/** The noble adapter is loaded only when a BLE battery is configured (noble is an optional dependency). */
async function defaultBleOpener(hci: string, ctx: AdapterContext): Promise<AdapterOpener> {
  const { createBleOpener } = await import("./ble/opener.js");
  return createBleOpener({ hci, ...ctx });
}

export function createBatteryLinkOpener(ctx: BatteryLinkOpenerContext): BatteryLinkOpener {
  const bleOpeners = new Map<string, Promise<AdapterOpener>>();
  const opened = new Map<string, AdapterOpener>();
  const createBle = ctx.createBleOpener ?? defaultBleOpener;
  const adapterContext: AdapterContext = {
    clock: ctx.clock,
    logger: ctx.logger.child("ble"),
    ...(ctx.adapter !== undefined && { adapter: ctx.adapter }),
    ...(ctx.onAdapterEvent !== undefined && { onAdapterEvent: ctx.onAdapterEvent }),
  };

  const bleOpenerFor = (hci: string): Promise<AdapterOpener> => {
    let opener = bleOpeners.get(hci);
    if (!opener) {
      opener = createBle(hci, adapterContext);
      opener.then(
        (ready) => opened.set(hci, ready),
        // a failed adapter is retried on the next open instead of caching the failure forever
        () => bleOpeners.delete(hci),
      );
      bleOpeners.set(hci, opener);
    }
    return opener;
  };

  const openers: {
    [K in BatteryAddress["kind"]]: (
      target: Extract<BatteryAddress, { kind: K }>,
      hci: string,
      options: OpenOptions,
    ) => Promise<Link>;
  } = {
    ble: async (target, hci, options) => (await bleOpenerFor(hci)).open(target.mac, options),
    serial: async (target, _hci, options) => (await import("./serial.js")).openSerialLink(target, options),
    tcp: async (target, _hci, options) => (await import("./tcp.js")).openTcpLink(target, options, ctx.clock),
    memory: async (target) => {
      const connector = ctx.memory?.get(target.name);
      if (!connector) {
        throw new BmsError(
          "DEVICE_NOT_FOUND",
          `${formatAddress(target)}: no in-process battery with that name`,
          {
            address: formatAddress(target),
          },
        );
      }
      return connector();
    },
  };

  return {
    open: (battery, options) => {
      const open = openers[battery.target.kind] as (
        t: BatteryAddress,
        hci: string,
        o: OpenOptions,
      ) => Promise<Link>;
      return open(battery.target, battery.hci, options);
    },
    close: async () => {
      const pending = [...bleOpeners.values()];
      bleOpeners.clear();
      opened.clear();
      await Promise.allSettled(pending.map(async (opener) => (await opener).close()));
    },
    adapterHealth: () =>
      [...opened.values()].flatMap((opener) => (opener.health === undefined ? [] : [opener.health])),
  };
}

/**
 * The BLE LinkOpener the bridge's poller uses for `ble` addresses: one supervised adapter (supervisor.ts)
 * per HCI selection, shared by every link on it, opened at once and reopened whenever it comes back.
 */
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { type Clock, systemClock } from "../../util/clock.js";
import { parseHci } from "../hci.js";
import type { Link, LinkOpener, OpenOptions } from "../types.js";
import type { BleAdapter } from "./adapter.js";
import { openBleLink } from "./link.js";
import {
  type AdapterEvent,
  type AdapterHealth,
  SupervisedAdapter,
  type SupervisorOptions,
} from "./supervisor.js";

export type BleLinkOpenerOptions = Omit<SupervisorOptions, "clock"> & { clock?: Clock };

export interface BleLinkOpener extends LinkOpener {
  /** The shared adapter once it is usable (waits for its first open); ADAPTER_UNAVAILABLE otherwise. */
  adapter(): Promise<BleAdapter>;
  readonly health: AdapterHealth;
  /** Stops noble. Links opened through it are dropped. */
  close(): Promise<void>;
}

export function createBleLinkOpener(options: BleLinkOpenerOptions): BleLinkOpener {
  const { clock = systemClock, ...rest } = options;
  const adapter = new SupervisedAdapter({ ...rest, clock });
  const firstOpenMs = (options.powerOnTimeoutMs ?? 4000) + 2000;
  return {
    adapter: async () => {
      await adapter.ready(firstOpenMs);
      return adapter;
    },
    get health() {
      return adapter.health;
    },
    open: (address: string, openOptions: OpenOptions): Promise<Link> =>
      openBleLink(adapter, address, openOptions),
    close: () => adapter.close(),
  };
}

/** What the bridge hands a BLE opener besides the HCI selection (src/transport/open-link.ts). */
export interface BleOpenerContext {
  clock?: Clock;
  logger?: Logger;
  /** Adapter settings from the configuration (give-up bound). */
  adapter?: Pick<SupervisorOptions, "giveUpAfterMs">;
  onAdapterEvent?: (event: AdapterEvent) => void;
}

/**
 * The factory src/transport/open-link.ts loads lazily: takes the HCI selection as text (`native`,
 * `native:N`, `uart:/path`). The adapter opens in the background: a missing one is retried, not fatal.
 */
export async function createBleOpener(options: BleOpenerContext & { hci: string }): Promise<BleLinkOpener> {
  const parsed = parseHci(options.hci);
  if (!parsed.ok) throw new BmsError("USAGE", parsed.problem);
  return createBleLinkOpener({
    hci: parsed.hci,
    ...(options.clock && { clock: options.clock }),
    ...(options.logger && { logger: options.logger }),
    ...options.adapter,
    ...(options.onAdapterEvent && { onEvent: options.onAdapterEvent }),
  });
}

/**
 * The BLE LinkOpener the bridge's poller uses for `ble` addresses: one adapter (noble instance and
 * operation queue) per HCI selection, opened on first use and shared by every link on it.
 */
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { Clock } from "../../util/clock.js";
import { type HciSelection, parseHci } from "../hci.js";
import type { Link, LinkOpener, OpenOptions } from "../types.js";
import { type BleAdapter, openBleAdapter } from "./adapter.js";
import { openBleLink } from "./link.js";
import type { QueueEvent } from "./operation-queue.js";

export interface BleLinkOpenerOptions {
  hci: HciSelection;
  clock?: Clock;
  logger?: Logger;
  powerOnTimeoutMs?: number;
  onQueueEvent?: (event: QueueEvent) => void;
}

export interface BleLinkOpener extends LinkOpener {
  /** The shared adapter (opened now if needed); ADAPTER_UNAVAILABLE when it cannot be used. */
  adapter(): Promise<BleAdapter>;
  /** Stops noble. Links opened through it are dropped. */
  close(): Promise<void>;
}

export function createBleLinkOpener(options: BleLinkOpenerOptions): BleLinkOpener {
  let adapter: Promise<BleAdapter> | undefined;
  const getAdapter = () => {
    if (!adapter) {
      adapter = openBleAdapter(options);
      // a failed open is retried on the next call (e.g. the dongle was plugged in meanwhile)
      adapter.catch(() => {
        adapter = undefined;
      });
    }
    return adapter;
  };
  return {
    adapter: getAdapter,
    async open(address: string, openOptions: OpenOptions): Promise<Link> {
      return openBleLink(await getAdapter(), address, openOptions);
    },
    async close() {
      const current = adapter;
      adapter = undefined;
      const opened = current === undefined ? undefined : await current.catch(() => undefined);
      await opened?.close();
    },
  };
}

/**
 * The factory src/transport/open-link.ts loads lazily: takes the HCI selection as text (`native`,
 * `native:N`, `uart:/path`), opens the adapter now so a missing one fails here (ADAPTER_UNAVAILABLE).
 */
export async function createBleOpener(options: {
  hci: string;
  clock?: Clock;
  logger?: Logger;
}): Promise<BleLinkOpener> {
  const parsed = parseHci(options.hci);
  if (!parsed.ok) throw new BmsError("USAGE", parsed.problem);
  const opener = createBleLinkOpener({
    hci: parsed.hci,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await opener.adapter();
  return opener;
}

/**
 * `connectBattery(address)`: the library user's one call from an address text (`tcp:host:port`,
 * `serial:/dev/ttyUSB0`, a BLE MAC) to a request/response client, built from the same parts the bridge
 * uses (parseAddress, the link factory, BmsClient), so a script reads a battery exactly as the bridge does.
 */
import { BmsClient, type ClientOptions } from "./bridge/device/client.js";
import { BmsError } from "./errors.js";
import { createLogger, type Logger } from "./log/logger.js";
import { parseAddress } from "./transport/address.js";
import { createBatteryLinkOpener } from "./transport/open-link.js";
import type { Link } from "./transport/types.js";
import { type Clock, systemClock } from "./util/clock.js";

export interface ConnectOptions {
  /** BLE adapter for MAC addresses: `native`, `native:N` or `uart:/dev/ttyX` (default `native`). */
  hci?: string;
  /** Give up connecting after this long (default 20 s, the bridge's `connect_timeout`). */
  connectTimeoutMs?: number;
  /** Reply timeouts and retries (default: the bridge's). */
  client?: Partial<ClientOptions>;
  /** Default: silent. */
  logger?: Logger;
  clock?: Clock;
}

export interface BatteryConnection {
  readonly client: BmsClient;
  readonly link: Link;
  /** Closes the link and releases the BLE adapter, if one was opened. Idempotent. */
  close(): Promise<void>;
}

const silent: Logger = createLogger({ level: "error", sink: () => {} });

export async function connectBattery(
  address: string,
  options: ConnectOptions = {},
): Promise<BatteryConnection> {
  const parsed = parseAddress(address);
  if (!parsed.ok) throw new BmsError("USAGE", parsed.problem, { address });
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silent;
  const links = createBatteryLinkOpener({ clock, logger });
  let link: Link;
  try {
    link = await links.open(
      { target: parsed.address, hci: options.hci ?? "native" },
      { timeoutMs: options.connectTimeoutMs ?? 20_000 },
    );
  } catch (error) {
    await links.close();
    throw error;
  }
  const client = new BmsClient(link, { clock, logger }, options.client);
  let closing: Promise<void> | undefined;
  return {
    client,
    link,
    close: () => {
      closing ??= (async () => {
        client.dispose();
        await link.close();
        await links.close();
      })();
      return closing;
    },
  };
}

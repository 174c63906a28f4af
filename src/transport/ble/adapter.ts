/**
 * One noble instance per HCI selection (`native[:N]` or `uart:/path`), with the operation queue every
 * scan/connect/discover/write on that adapter goes through. noble is imported lazily, only here.
 */
import { existsSync } from "node:fs";
import type { Noble } from "@stoprocent/noble";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { type Clock, systemClock } from "../../util/clock.js";
import type { HciSelection } from "../hci.js";
import { OperationQueue, type QueueEvent } from "./operation-queue.js";

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
  readonly noble: Noble;
  readonly queue: OperationQueue;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  /** Stops noble (its HCI poll timer would otherwise keep the process alive). Idempotent. */
  close(): Promise<void>;
}

export function describeHci(hci: HciSelection): string {
  return hci.driver === "uart" ? `uart:${hci.port}` : `hci${hci.deviceId}`;
}

/** States that will not turn into poweredOn by waiting, with what the user can do about them. */
const HOPELESS_STATES: Record<string, string> = {
  unsupported: "no usable Bluetooth controller (missing, or the kernel has no Bluetooth support)",
  unauthorized: "permission denied (run as root, or grant CAP_NET_RAW/CAP_NET_ADMIN to node)",
};

function bindingOptions(hci: HciSelection): Record<string, unknown> {
  if (hci.driver === "uart") {
    return { hciDriver: "uart", bindParams: { uart: { port: hci.port, baudRate: hci.baudRate } } };
  }
  return { deviceId: hci.deviceId };
}

function unavailable(hci: HciSelection, why: string, cause?: unknown): BmsError {
  return new BmsError(
    "ADAPTER_UNAVAILABLE",
    `Bluetooth adapter ${describeHci(hci)}: ${why}`,
    { hci: describeHci(hci) },
    { cause },
  );
}

/**
 * noble's HCI bindings console.log a multi-line "noble warning: …" on stdout when the adapter is
 * unsupported or unauthorized, which would corrupt `--json` output and repeat what our one-line
 * ADAPTER_UNAVAILABLE already says. Only those exact lines are diverted to the debug log.
 */
const NOBLE_CONSOLE_LINES = [
  /^noble warning: /,
  /^ {15}(Try to run with|\[sudo\] NOBLE_HCI_DEVICE_ID|or see README|https:\/\/github\.com\/sandeepmistry\/noble)/,
];
let consoleFiltered = false;
let debugSink: ((line: string) => void) | undefined;

function divertNobleConsole(logger: Logger | undefined): void {
  debugSink = logger ? (line) => logger.debug(line) : debugSink;
  if (consoleFiltered) return;
  consoleFiltered = true;
  const original = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === "string" && NOBLE_CONSOLE_LINES.some((re) => re.test(first))) debugSink?.(first);
    else original(...args);
  };
}

async function createNoble(hci: HciSelection): Promise<Noble> {
  try {
    const { withBindings } = await import("@stoprocent/noble");
    return withBindings("hci", bindingOptions(hci));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw unavailable(hci, `cannot load @stoprocent/noble (${why})`, error);
  }
}

function waitForPoweredOn(noble: Noble, hci: HciSelection, clock: Clock, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: BmsError) => {
      clock.clearTimeout(timer);
      noble.removeListener("stateChange", onState);
      if (error) reject(error);
      else resolve();
    };
    const onState = (state: string) => {
      if (state === "poweredOn") finish();
      const hopeless = HOPELESS_STATES[state];
      if (hopeless) finish(unavailable(hci, hopeless));
    };
    const timer = clock.setTimeout(() => {
      const hint = noble.state === "poweredOff" ? "; try: bluetoothctl power on" : "";
      finish(unavailable(hci, `did not power on within ${timeoutMs} ms (state: ${noble.state}${hint})`));
    }, timeoutMs);
    noble.on("stateChange", onState);
    if (noble.state === "poweredOn") finish();
  });
}

/** Opens and powers on the adapter; ADAPTER_UNAVAILABLE within `powerOnTimeoutMs` when it cannot. */
export async function openBleAdapter(options: BleAdapterOptions): Promise<BleAdapter> {
  const { hci, logger } = options;
  const clock = options.clock ?? systemClock;
  if (hci.driver === "uart" && !existsSync(hci.port)) {
    throw unavailable(hci, `serial port ${hci.port} does not exist`);
  }
  divertNobleConsole(logger);
  const noble = await createNoble(hci);
  // noble prints its warnings with console.warn; they belong in our log instead.
  noble.removeAllListeners("warning");
  noble.on("warning", (message: string) => logger?.debug(`noble: ${message}`));
  try {
    await waitForPoweredOn(noble, hci, clock, options.powerOnTimeoutMs ?? 4000);
  } catch (error) {
    noble.stop();
    throw error;
  }
  const queue = new OperationQueue({
    clock,
    ...(options.onQueueEvent ? { onEvent: options.onQueueEvent } : {}),
  });
  let closed = false;
  return {
    hci,
    noble,
    queue,
    clock,
    logger,
    close: async () => {
      if (closed) return;
      closed = true;
      queue.close(new BmsError("CANCELED", `Bluetooth adapter ${describeHci(hci)} was closed`));
      noble.stop();
    },
  };
}

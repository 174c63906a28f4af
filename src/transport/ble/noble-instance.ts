/**
 * One noble instance on one HCI controller, from power-on to its end. noble is imported lazily, only here
 * (and its types in the other files of this folder).
 *
 * An instance whose adapter went away is not reused: after a pulled-out dongle noble's serial binding
 * retries only while the port is listed by the OS (never for a pty, and not after ten tries), and it
 * stays `poweredOff` forever (seen in the virtual BLE lab). The supervisor (supervisor.ts) closes it and opens a new one.
 */
import { existsSync } from "node:fs";
import type { Noble } from "@stoprocent/noble";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { Clock } from "../../util/clock.js";
import {
  describeAdapterLoss,
  describeHci,
  type HciSelection,
  hciBindingOptions,
  quietStoppedBindings,
} from "../hci.js";
import { watchPortGone } from "../hci-port-watch.js";

export interface NobleInstance {
  readonly noble: Noble;
  /** Told once when the adapter leaves `poweredOn` (unplugged, powered off, taken by another program). */
  onLost(listener: (reason: string) => void): void;
  /** Stops noble for good; its bindings cannot reopen the port behind a newer instance's back. */
  close(): void;
}

export interface NobleInstanceOptions {
  hci: HciSelection;
  clock: Clock;
  logger?: Logger | undefined;
  powerOnTimeoutMs: number;
}

/** States that will not turn into poweredOn by waiting, with what the user can do about them. */
const HOPELESS_STATES: Record<string, string> = {
  unsupported: "no usable Bluetooth controller (missing, or the kernel has no Bluetooth support)",
  unauthorized: "permission denied (run as root, or grant CAP_NET_RAW/CAP_NET_ADMIN to node)",
};

export function unavailable(
  hci: HciSelection,
  why: string,
  context: Record<string, unknown> = {},
  cause?: unknown,
): BmsError {
  return new BmsError(
    "ADAPTER_UNAVAILABLE",
    `Bluetooth adapter ${describeHci(hci)}: ${why}`,
    { hci: describeHci(hci), ...context },
    { cause },
  );
}

/** Permission denied: waiting or reopening cannot help, only the user can. */
export function isPermissionProblem(error: BmsError): boolean {
  return error.code === "ADAPTER_UNAVAILABLE" && error.context.state === "unauthorized";
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
    return withBindings("hci", hciBindingOptions(hci));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw unavailable(hci, `cannot load @stoprocent/noble (${why})`, {}, error);
  }
}

function waitForPoweredOn(noble: Noble, options: NobleInstanceOptions): Promise<void> {
  const { hci, clock, powerOnTimeoutMs } = options;
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
      if (hopeless) finish(unavailable(hci, hopeless, { state }));
    };
    const timer = clock.setTimeout(() => {
      const hint = noble.state === "poweredOff" ? "; try: bluetoothctl power on" : "";
      finish(
        unavailable(hci, `did not power on within ${powerOnTimeoutMs} ms (state: ${noble.state}${hint})`),
      );
    }, powerOnTimeoutMs);
    noble.on("stateChange", onState);
    if (noble.state === "poweredOn") finish();
  });
}

/** Opens and powers on the adapter; ADAPTER_UNAVAILABLE within `powerOnTimeoutMs` when it cannot. */
export async function openNobleInstance(options: NobleInstanceOptions): Promise<NobleInstance> {
  const { hci, logger } = options;
  if (hci.driver === "uart" && !existsSync(hci.port)) {
    throw unavailable(hci, `serial port ${hci.port} does not exist`);
  }
  divertNobleConsole(logger);
  const noble = await createNoble(hci);
  // noble prints its warnings with console.warn; they belong in our log instead.
  noble.removeAllListeners("warning");
  noble.on("warning", (message: string) => logger?.debug(`noble: ${message}`));
  let closed = false;
  let stopWatching = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    stopWatching();
    noble.removeAllListeners("stateChange");
    noble.stop();
    quietStoppedBindings(noble);
  };
  try {
    await waitForPoweredOn(noble, options);
  } catch (error) {
    close();
    throw error;
  }
  return {
    noble,
    onLost(listener) {
      let told = false;
      const tell = (state: string) => {
        if (told || closed) return;
        told = true;
        noble.removeListener("stateChange", onState);
        const portExists = hci.driver === "uart" && existsSync(hci.port);
        listener(describeAdapterLoss(hci, state, portExists));
      };
      const onState = (state: string) => {
        if (state !== "poweredOn") tell(state);
      };
      noble.on("stateChange", onState);
      stopWatching = watchPortGone(hci, options.clock, () => tell("poweredOff"));
    },
    close,
  };
}

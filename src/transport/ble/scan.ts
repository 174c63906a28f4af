/**
 * Scanning through the adapter's queue: `scanBle` lists what advertises (for `bms-bridge scan`), and
 * `findPeripheral` scans until one address shows up (the first step of every connection).
 */
import type { Peripheral } from "@stoprocent/noble";
import { BmsError } from "../../errors.js";
import { normalizeMac } from "../address.js";
import type { BleAdapter } from "./adapter.js";
import { type JbdVerdict, judgeJbd } from "./jbd-verdict.js";

export interface ScannedDevice {
  /** Upper-case MAC, e.g. `A5:C2:37:3C:76:D2`. */
  address: string;
  /** dBm; 127 means "not available" (HCI), e.g. in the virtual lab. */
  rssi: number;
  name: string | undefined;
  /** Whole manufacturer-specific payload, company id first, lower-case hex. */
  manufacturerDataHex: string | undefined;
  /** Short form when 16-bit (`ff00`). */
  serviceUuids: string[];
  connectable: boolean;
  verdict: JbdVerdict;
}

export interface ScanProgress {
  elapsedMs: number;
  found: number;
}

export interface ScanOptions {
  timeoutMs: number;
  /** Called for every newly seen device and about twice a second. */
  onProgress?: (progress: ScanProgress) => void;
}

/** Strongest first; devices without RSSI (127) last; ties by address so the order is stable. */
export function byStrongestSignal(a: ScannedDevice, b: ScannedDevice): number {
  const strength = (d: ScannedDevice) => (d.rssi === 127 ? Number.NEGATIVE_INFINITY : d.rssi);
  return strength(b) - strength(a) || a.address.localeCompare(b.address);
}

function peripheralMac(peripheral: Peripheral): string {
  return normalizeMac(peripheral.address) ?? peripheral.address.toUpperCase();
}

export function describePeripheral(peripheral: Peripheral): ScannedDevice {
  const ad = peripheral.advertisement;
  const address = peripheralMac(peripheral);
  const manufacturerData = ad.manufacturerData ? Uint8Array.from(ad.manufacturerData) : undefined;
  const serviceUuids = ad.serviceUuids ?? [];
  return {
    address,
    rssi: peripheral.rssi,
    name: ad.localName || undefined,
    manufacturerDataHex: ad.manufacturerData?.toString("hex"),
    serviceUuids: [...serviceUuids],
    connectable: peripheral.connectable,
    verdict: judgeJbd({ address, name: ad.localName, manufacturerData, serviceUuids }),
  };
}

/**
 * How long the controller gets to confirm that a scan started or stopped. A healthy one answers in
 * milliseconds; one that does not is wedged, and the TIMEOUT lets the supervisor count it.
 */
const SCAN_COMMAND_TIMEOUT_MS = 3000;

function scanCommandTimeout(what: string): BmsError {
  return new BmsError(
    "TIMEOUT",
    `the controller did not confirm ${what} within ${SCAN_COMMAND_TIMEOUT_MS / 1000} s (not answering)`,
  );
}

/**
 * Scans for `durationMs`, or until `until` picks a peripheral. The discover listener is attached before
 * scanning starts: noble can report devices in the same tick that the scan starts.
 */
function scanSession(
  adapter: BleAdapter,
  durationMs: number,
  signal: AbortSignal,
  onPeripheral: (peripheral: Peripheral) => boolean,
  onTick?: () => void,
): Promise<void> {
  const { noble, clock } = adapter;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let tick: ReturnType<typeof clock.setTimeout> | undefined;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      clock.clearTimeout(startDeadline);
      if (tick !== undefined) clock.clearTimeout(tick);
      noble.removeListener("discover", onDiscover);
      signal.removeEventListener("abort", onAbort);
      const stopDeadline = clock.setTimeout(
        () => reject(error ?? scanCommandTimeout("the end of a scan")),
        SCAN_COMMAND_TIMEOUT_MS,
      );
      const settle = () => {
        clock.clearTimeout(stopDeadline);
        if (error) reject(error);
        else resolve();
      };
      noble.stopScanningAsync().then(settle, settle);
    };
    const onDiscover = (peripheral: Peripheral) => {
      if (onPeripheral(peripheral)) finish();
    };
    const onAbort = () => finish(signal.reason);
    const ticker = () => {
      onTick?.();
      tick = clock.setTimeout(ticker, 500);
    };
    const timer = clock.setTimeout(() => finish(), durationMs);
    const startDeadline = clock.setTimeout(
      () => finish(scanCommandTimeout("the start of a scan")),
      SCAN_COMMAND_TIMEOUT_MS,
    );
    noble.on("discover", onDiscover);
    signal.addEventListener("abort", onAbort, { once: true });
    if (onTick) ticker();
    // allowDuplicates: later reports carry the scan response (name) and fresher RSSI
    noble.startScanningAsync([], true).then(
      () => clock.clearTimeout(startDeadline),
      (error: unknown) => finish(error),
    );
  });
}

/** Lists every advertising device seen within `timeoutMs`. */
export async function scanBle(adapter: BleAdapter, options: ScanOptions): Promise<ScannedDevice[]> {
  const { clock } = adapter;
  const started = clock.now();
  const seen = new Map<string, Peripheral>();
  const progress = () => options.onProgress?.({ elapsedMs: clock.now() - started, found: seen.size });
  await adapter.queue.run(
    "scan",
    (signal) =>
      scanSession(
        adapter,
        options.timeoutMs,
        signal,
        (peripheral) => {
          const isNew = !seen.has(peripheral.id);
          seen.set(peripheral.id, peripheral);
          if (isNew) progress();
          return false;
        },
        options.onProgress ? progress : undefined,
      ),
    options.timeoutMs + 5000,
  );
  return [...seen.values()].map(describePeripheral).sort(byStrongestSignal);
}

/** Scans until `mac` advertises; DEVICE_NOT_FOUND after `timeoutMs`. */
export async function findPeripheral(
  adapter: BleAdapter,
  mac: string,
  timeoutMs: number,
): Promise<Peripheral> {
  let found: Peripheral | undefined;
  await adapter.queue.run(
    `scan for ${mac}`,
    (signal) =>
      scanSession(adapter, timeoutMs, signal, (peripheral) => {
        if (peripheralMac(peripheral) !== mac) return false;
        found = peripheral;
        return true;
      }),
    timeoutMs + 5000,
  );
  if (found) return found;
  throw new BmsError(
    "DEVICE_NOT_FOUND",
    `${mac} was not seen advertising within ${Math.round(timeoutMs / 1000)} s ` +
      "(is it powered and in range, and not connected to another central such as the phone app?)",
    { address: mac },
  );
}

/**
 * HCI selection shared by bms-bridge (noble) and bms-emu (bleno): `native` (hci0), `native:N` (hciN),
 * or `uart:/path/to/tty` (an HCI controller behind a serial port, e.g. the virtual BLE lab's ptys).
 */
export type HciSelection =
  | { driver: "native"; deviceId: number }
  | { driver: "uart"; port: string; baudRate: number };

export const HCI_UART_BAUD = 1_000_000;

export function parseHci(text: string): { ok: true; hci: HciSelection } | { ok: false; problem: string } {
  const raw = text.trim();
  if (raw === "native" || raw === "") return { ok: true, hci: { driver: "native", deviceId: 0 } };
  const native = /^native:(\d+)$/.exec(raw);
  if (native) return { ok: true, hci: { driver: "native", deviceId: Number(native[1]) } };
  if (raw.startsWith("uart:") && raw.length > "uart:".length) {
    return { ok: true, hci: { driver: "uart", port: raw.slice("uart:".length), baudRate: HCI_UART_BAUD } };
  }
  return { ok: false, problem: `"${raw}" is not an HCI selection (native, native:N or uart:/dev/ttyX)` };
}

/** Comma-separated list, as `bms-emu --count N --hci uart:/a,uart:/b`. */
export function parseHciList(
  text: string,
): { ok: true; hcis: HciSelection[] } | { ok: false; problem: string } {
  const hcis: HciSelection[] = [];
  for (const part of text.split(",")) {
    const parsed = parseHci(part);
    if (!parsed.ok) return parsed;
    hcis.push(parsed.hci);
  }
  return { ok: true, hcis };
}

/** `uart:/path` or `hci0`, for logs and errors. */
export function describeHci(hci: HciSelection): string {
  return hci.driver === "uart" ? `uart:${hci.port}` : `hci${hci.deviceId}`;
}

/** What noble's and bleno's `withBindings("hci", …)` take for this selection. */
export function hciBindingOptions(hci: HciSelection): Record<string, unknown> {
  if (hci.driver === "uart") {
    return { hciDriver: "uart", bindParams: { uart: { port: hci.port, baudRate: hci.baudRate } } };
  }
  return { deviceId: hci.deviceId };
}

/**
 * Why an adapter that was powered on left that state, in words a user can act on. `portExists` tells a
 * pulled-out USB-serial adapter (its device node is gone) from a port that merely closed.
 */
export function describeAdapterLoss(hci: HciSelection, state: string, portExists: boolean): string {
  if (hci.driver === "uart") {
    return portExists
      ? `its serial port ${hci.port} closed (state ${state})`
      : `its serial port ${hci.port} is gone (unplugged?)`;
  }
  if (state === "unsupported") return "the controller disappeared (unplugged?)";
  return `it went ${state} (hciconfig down, rfkill, unplugged, or bluetoothd took it)`;
}

/**
 * After stop(), noble's and bleno's HCI bindings (same internals) keep a 1 s "is the device up?" poll
 * re-arming itself (bleno: forever, so a process that stopped every peripheral never exits), and their
 * serial socket may still reopen the port from a reconnect try in progress, behind a newer instance's
 * back. Both are made no-ops. Guarded: bindings without these internals are left as they are.
 */
export function quietStoppedBindings(instance: unknown): void {
  const hci = (instance as { _bindings?: { _hci?: Record<string, unknown> } })._bindings?._hci;
  if (!hci) return;
  neuter(hci, "pollIsDevUp");
  const socket = hci._socket as Record<string, unknown> | undefined;
  // only the serial socket reconnects by itself; the native one is a read-only addon object
  if (!socket || !("_isReconnectionCancelled" in socket)) return;
  socket._isReconnectionCancelled = true;
  neuter(socket, "bindUser");
}

function neuter(target: Record<string, unknown>, method: string): void {
  if (typeof target[method] !== "function") return;
  try {
    target[method] = () => {};
  } catch {
    // read-only (a native object): nothing of ours to quiet there
  }
}

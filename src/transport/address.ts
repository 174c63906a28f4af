/**
 * Battery address forms accepted everywhere (config, env BMS_ADDRESS, CLI):
 *   A5:C2:37:3C:76:D2            BLE MAC (also a5-c2-… or a5c2373c76d2)
 *   serial:/dev/ttyUSB0[@9600]   RS485/UART adapter, optional baud rate (JBD default 9600, 8N1)
 *   tcp:host:port                RS485-to-Ethernet gateway speaking raw JBD bytes
 *   memory:name                  an in-process emulated battery (demo, tests)
 */
export type BatteryAddress =
  | { kind: "ble"; mac: string }
  | { kind: "serial"; path: string; baudRate: number }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "memory"; name: string };

export const DEFAULT_SERIAL_BAUD = 9600;

const MAC_RE =
  /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i;

export function normalizeMac(text: string): string | undefined {
  const m = MAC_RE.exec(text.trim());
  if (!m) return undefined;
  return m.slice(1, 7).join(":").toUpperCase();
}

/** Parses an address; returns a human-readable problem instead of throwing. */
export function parseAddress(
  text: string,
): { ok: true; address: BatteryAddress } | { ok: false; problem: string } {
  const raw = text.trim();
  const bad = (why: string) => ({ ok: false as const, problem: `"${raw}" ${why}` });
  if (raw.startsWith("serial:")) {
    const rest = raw.slice("serial:".length);
    const at = rest.lastIndexOf("@");
    const path = at > 0 ? rest.slice(0, at) : rest;
    const baudText = at > 0 ? rest.slice(at + 1) : undefined;
    if (!path) return bad("has no device path (serial:/dev/ttyUSB0)");
    const baudRate = baudText === undefined ? DEFAULT_SERIAL_BAUD : Number(baudText);
    if (!Number.isInteger(baudRate) || baudRate <= 0) return bad("has an invalid baud rate");
    return { ok: true, address: { kind: "serial", path, baudRate } };
  }
  if (raw.startsWith("tcp:")) {
    const rest = raw.slice("tcp:".length);
    const colon = rest.lastIndexOf(":");
    if (colon <= 0) return bad("needs host and port (tcp:192.168.1.50:8899)");
    const host = rest.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    const port = Number(rest.slice(colon + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return bad("has an invalid port");
    return { ok: true, address: { kind: "tcp", host, port } };
  }
  if (raw.startsWith("memory:")) {
    const name = raw.slice("memory:".length);
    if (!name) return bad("needs a name (memory:battery1)");
    return { ok: true, address: { kind: "memory", name } };
  }
  const mac = normalizeMac(raw);
  if (mac) return { ok: true, address: { kind: "ble", mac } };
  return bad("is not a BLE address or serial:/tcp: address");
}

export function formatAddress(address: BatteryAddress): string {
  switch (address.kind) {
    case "ble":
      return address.mac;
    case "serial":
      return address.baudRate === DEFAULT_SERIAL_BAUD
        ? `serial:${address.path}`
        : `serial:${address.path}@${address.baudRate}`;
    case "tcp":
      return address.host.includes(":")
        ? `tcp:[${address.host}]:${address.port}`
        : `tcp:${address.host}:${address.port}`;
    case "memory":
      return `memory:${address.name}`;
  }
}

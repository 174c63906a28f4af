/**
 * Output of `bms-bridge scan` and `bms-bridge discover` (pure). The scan line keeps the format of the original Python bridge
 * (the Accu-Solar BMS setup guide, "Scan for Your Batteries"): `A5:C2:37:3C:76:D2  RSSI  -45  DP04S007L4S200A   ← strongest signal, use this one`.
 */
import type { DiscoveredService } from "../transport/ble/discover.js";
import type { ScannedDevice } from "../transport/ble/scan.js";

/** HCI reports 127 when the controller has no RSSI for a report. */
export const RSSI_UNAVAILABLE = 127;
const STRONGEST_MARK = "   ← strongest signal, use this one";

function rssiText(rssi: number): string {
  return rssi === RSSI_UNAVAILABLE ? " n/a" : String(rssi).padStart(4);
}

/**
 * One line per device, strongest first (the caller sorts). Only JBD-looking devices unless `all`; with
 * `all`, JBD-looking lines start with `*`. The strongest JBD-looking device with a real RSSI is marked.
 */
export function formatScanLines(devices: readonly ScannedDevice[], options: { all: boolean }): string[] {
  const shown = options.all ? devices : devices.filter((d) => d.verdict.likelyJbd);
  const strongest = shown.find((d) => d.verdict.likelyJbd && d.rssi !== RSSI_UNAVAILABLE);
  return shown.map((device) => {
    const prefix = options.all ? (device.verdict.likelyJbd ? "* " : "  ") : "";
    const name = device.name ?? "(no name)";
    const mark = device === strongest ? STRONGEST_MARK : "";
    return `${prefix}${device.address}  RSSI ${rssiText(device.rssi)}  ${name}${mark}`;
  });
}

/** The closing line on stderr: what was found, what was hidden, and what to try when nothing was. */
export function scanSummary(devices: readonly ScannedDevice[], seconds: number, all: boolean): string {
  const jbd = devices.filter((d) => d.verdict.likelyJbd).length;
  const others = devices.length - jbd;
  if (jbd === 0) {
    return (
      `No JBD-looking device found in ${seconds} s (${devices.length} other device(s) seen). ` +
      "Move closer, wake the battery (idle JBD packs may stop advertising), close the phone app " +
      `(one central at a time)${all || others === 0 ? "" : ", or use --all to list everything"}.`
    );
  }
  const hidden = all || others === 0 ? "" : ` (${others} other device(s) hidden; --all lists them)`;
  return `${jbd} JBD-looking device(s) found in ${seconds} s${hidden}.`;
}

/** Machine-readable scan result (snake_case wire keys); RSSI null when unavailable. */
export function scanJson(devices: readonly ScannedDevice[], options: { all: boolean }): string {
  const shown = options.all ? devices : devices.filter((d) => d.verdict.likelyJbd);
  const rows = shown.map((d) => ({
    address: d.address,
    rssi: d.rssi === RSSI_UNAVAILABLE ? null : d.rssi,
    name: d.name ?? null,
    manufacturer_data: d.manufacturerDataHex ?? null,
    service_uuids: d.serviceUuids,
    connectable: d.connectable,
    likely_jbd: d.verdict.likelyJbd,
    jbd_reasons: d.verdict.reasons,
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** Friendly names of the UUIDs a JBD user will meet (GATT assigned numbers + the JBD UART service). */
const KNOWN_UUIDS: Record<string, string> = {
  "1800": "Generic Access",
  "1801": "Generic Attribute",
  "180a": "Device Information",
  "2a00": "Device Name",
  "2a01": "Appearance",
  "2a05": "Service Changed",
  ff00: "JBD UART service",
  ff01: "JBD notify (BMS → us)",
  ff02: "JBD write (us → BMS)",
  fff0: "JBD UART service (variant)",
  fff1: "JBD notify (variant)",
  fff2: "JBD write (variant)",
};

function label(uuid: string): string {
  const known = KNOWN_UUIDS[uuid];
  return known ? `${uuid.toUpperCase()}  (${known})` : uuid.toUpperCase();
}

/** Like discover_uuids.py of the original Python bridge: services, their characteristics, properties and readable values. */
export function formatDiscovery(address: string, services: readonly DiscoveredService[]): string {
  const lines = [`${address}: ${services.length} service(s)`];
  for (const service of services) {
    lines.push(`service ${label(service.uuid)}`);
    for (const c of service.characteristics) {
      const value =
        c.valueHex !== undefined
          ? `  value: ${c.valueHex || "(empty)"}`
          : c.readError
            ? `  read failed: ${c.readError}`
            : "";
      lines.push(`  characteristic ${label(c.uuid)}  [${c.properties.join(", ")}]${value}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function discoveryJson(address: string, services: readonly DiscoveredService[]): string {
  const rows = services.map((s) => ({
    uuid: s.uuid,
    characteristics: s.characteristics.map((c) => ({
      uuid: c.uuid,
      properties: c.properties,
      value: c.valueHex ?? null,
      ...(c.readError ? { read_error: c.readError } : {}),
    })),
  }));
  return `${JSON.stringify({ address, services: rows }, null, 2)}\n`;
}

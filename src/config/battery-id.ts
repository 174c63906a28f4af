/**
 * Battery topic ids (docs/mqtt.md "Battery ids"): used by the schema's checks and by resolveConfig. Kept
 * apart from schema.ts so that the running bridge, which gets its configuration already validated, does
 * not load zod (docs/performance.md, "Memory").
 */
import type { BatteryAddress } from "../transport/address.js";

/**
 * Topic id of a battery: its id, else its name made topic-safe ("House 1" → "house_1"), else one derived
 * from its address so that it is unique across a site of several bridges (docs/mqtt.md "Battery ids"):
 * a BLE MAC without separators, `tcp-<host>-<port>` for a gateway, `<bridge id>-<device>` for a serial
 * adapter (a device path is only unique on its host), and 1…N in config order for in-process batteries.
 */
export function batteryIdFor(
  battery: { id?: string | undefined; name?: string | undefined },
  index: number,
  address: BatteryAddress | undefined,
  bridgeId: string,
): string {
  if (battery.id) return battery.id;
  if (battery.name) {
    const slug = topicSafe(battery.name);
    if (slug.replace(/_/g, "")) return slug;
  }
  return address === undefined ? String(index + 1) : addressBatteryId(address, index, bridgeId);
}

function topicSafe(text: string, replacement = "_"): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, replacement)
    .slice(0, 64);
}

/** The default battery id for an address (see batteryIdFor). */
export function addressBatteryId(address: BatteryAddress, index: number, bridgeId: string): string {
  switch (address.kind) {
    case "ble":
      return address.mac.replace(/:/g, "").toLowerCase();
    case "tcp":
      return topicSafe(`tcp-${address.host}-${address.port}`, "-");
    case "serial":
      return topicSafe(`${bridgeId}-${address.path.split("/").at(-1) ?? address.path}`, "-");
    case "memory":
      return String(index + 1);
  }
}

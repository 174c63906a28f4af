/**
 * "Does this advertisement look like a JBD BMS?" A pure function of what a scan saw, with its reasons, so
 * `bms-bridge scan` can flag batteries even after a user renamed them (docs/background.md §6.6: detection by name
 * alone fails after renaming; OUI and the manufacturer-data fingerprint survive it).
 */
import { normalizeMac } from "../address.js";

export interface AdvertisementFacts {
  /** BLE MAC, any accepted spelling. */
  address: string;
  name?: string | undefined;
  /** The whole manufacturer-specific AD payload, company id included (as noble reports it). */
  manufacturerData?: Uint8Array | undefined;
  serviceUuids?: readonly string[] | undefined;
}

export interface JbdVerdict {
  /** A name or fingerprint match alone, or OUI and service together (either alone is too common). */
  likelyJbd: boolean;
  /** Human-readable, one per matching clue, in a fixed order (name, OUI, service, fingerprint). */
  reasons: string[];
}

/** Names JBD boards and their dongles advertise (docs/background.md §3, §6.6): DP04S007L4S200A, SP04S034…, JBD-…, xiaoxiang. */
const NAME_PATTERNS: ReadonlyArray<{ pattern: RegExp; label: string }> = [
  { pattern: /^DP\d{2}S\d{3}/i, label: "DP..S... (JBD DP series)" },
  { pattern: /^[A-Z]?SP\d{2}S\d{3}/i, label: "SP..S... (JBD SP series)" },
  { pattern: /JBD/i, label: "JBD" },
  { pattern: /xiaoxiang/i, label: "xiaoxiang" },
];

/** OUIs seen on JBD BLE dongles (docs/background.md §3; BMS_BLE PR #780 OUI matching). */
const JBD_OUIS: ReadonlySet<string> = new Set([
  "A4:C1:37",
  "A4:C1:38",
  "A5:C2:37",
  "A5:C2:39",
  "A5:C2:3A",
  "AA:C2:37",
  "70:3E:97",
  "10:A5:62",
]);

/** Service UUIDs of the JBD UART-over-GATT service (FF00; some variants FFF0). */
const JBD_SERVICES: ReadonlySet<string> = new Set(["ff00", "fff0"]);

/** Normalizes `ff00`, `FF00`, `0000ff00-0000-1000-8000-00805f9b34fb` to `ff00`. */
export function shortUuid(uuid: string): string {
  const lower = uuid.toLowerCase().replace(/-/g, "");
  const base = /^0000([0-9a-f]{4})00001000800000805f9b34fb$/.exec(lower);
  return base ? (base[1] as string) : lower;
}

function macBytes(address: string): number[] | undefined {
  const mac = normalizeMac(address);
  return mac?.split(":").map((part) => Number.parseInt(part, 16));
}

/**
 * The JBD dongle's manufacturer data is its own MAC in little-endian byte order: company id (LE) = the
 * last two MAC bytes, then the first four MAC bytes reversed (docs/background.md §3, aiobmsble jbd test data).
 */
export function jbdManufacturerData(address: string): Uint8Array | undefined {
  const bytes = macBytes(address);
  return bytes ? Uint8Array.from(bytes.reverse()) : undefined;
}

export function hasJbdFingerprint(address: string, manufacturerData: Uint8Array | undefined): boolean {
  const expected = jbdManufacturerData(address);
  if (!expected || !manufacturerData || manufacturerData.length < expected.length) return false;
  return expected.every((byte, i) => manufacturerData[i] === byte);
}

/**
 * Strong clues (name, fingerprint) decide alone. Weak ones need each other: A4:C1:38 is also Telink's OUI
 * (e.g. Xiaomi thermometers) and FF00 is a common vendor service.
 */
export function judgeJbd(facts: AdvertisementFacts): JbdVerdict {
  const reasons: string[] = [];
  let strong = 0;
  let weak = 0;
  const name = facts.name?.trim();
  const named = name ? NAME_PATTERNS.find(({ pattern }) => pattern.test(name)) : undefined;
  if (named) {
    reasons.push(`name matches ${named.label}`);
    strong++;
  }
  const oui = normalizeMac(facts.address)?.slice(0, 8);
  if (oui && JBD_OUIS.has(oui)) {
    reasons.push(`OUI ${oui} is used by JBD dongles`);
    weak++;
  }
  const service = facts.serviceUuids?.map(shortUuid).find((uuid) => JBD_SERVICES.has(uuid));
  if (service) {
    reasons.push(`advertises service ${service.toUpperCase()}`);
    weak++;
  }
  if (hasJbdFingerprint(facts.address, facts.manufacturerData)) {
    reasons.push("manufacturer data is the JBD fingerprint (its own MAC, reversed)");
    strong++;
  }
  return { likelyJbd: strong > 0 || weak >= 2, reasons };
}

/**
 * The DP04S dongle's advertisement, byte for byte (pure). Advertising data: flags, the 16-bit service
 * FF00, and manufacturer data = the dongle's MAC in little-endian byte order (company id = the last two
 * MAC bytes, then the first four reversed; docs/background.md §3). Scan response: the complete local name.
 *
 * A real dongle carries its own radio address there, and so does an emulated battery by default (in the
 * virtual lab 00:AA:01:00:00:xx); a MAC given with `--mac` replaces it in the manufacturer data only.
 */
import { jbdManufacturerData } from "./jbd-verdict.js";

const AD_FLAGS = 0x01;
const AD_COMPLETE_16BIT_SERVICES = 0x03;
const AD_COMPLETE_LOCAL_NAME = 0x09;
const AD_MANUFACTURER_DATA = 0xff;
/** LE General Discoverable, BR/EDR not supported. */
const FLAGS_LE_ONLY_GENERAL = 0x06;
/** Legacy advertising payloads are at most 31 bytes each. */
const MAX_AD_LENGTH = 31;

function adStructure(type: number, payload: Uint8Array): number[] {
  return [payload.length + 1, type, ...payload];
}

export interface JbdAdvertisement {
  advertisement: Uint8Array;
  scanResponse: Uint8Array;
}

export function encodeJbdAdvertisement(name: string, mac: string, serviceUuid16 = 0xff00): JbdAdvertisement {
  const manufacturer = jbdManufacturerData(mac);
  if (!manufacturer) throw new RangeError(`"${mac}" is not a MAC address`);
  const advertisement = Uint8Array.from([
    ...adStructure(AD_FLAGS, Uint8Array.of(FLAGS_LE_ONLY_GENERAL)),
    ...adStructure(AD_COMPLETE_16BIT_SERVICES, Uint8Array.of(serviceUuid16 & 0xff, serviceUuid16 >> 8)),
    ...adStructure(AD_MANUFACTURER_DATA, manufacturer),
  ]);
  const nameBytes = new TextEncoder().encode(name).slice(0, MAX_AD_LENGTH - 2);
  const scanResponse = Uint8Array.from(adStructure(AD_COMPLETE_LOCAL_NAME, nameBytes));
  return { advertisement, scanResponse };
}

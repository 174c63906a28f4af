/**
 * The emulated battery on BLE: the shared JBD peripheral (src/transport/ble/peripheral.ts) serving the
 * emulator's battery. Only the mapping from an EmulatedBattery lives here.
 */
import { type GattBattery, startBlenoPeripheral } from "../../transport/ble/peripheral.js";
import type { EmulatedBattery } from "../battery.js";

export type {
  BlenoPeripheral,
  BlenoPeripheralOptions,
  GattBattery,
  GattPort,
} from "../../transport/ble/peripheral.js";
export { startBlenoPeripheral };

/** The emulator's battery as seen by the peripheral: its BLE name, its given MAC (if any), its ports. */
export function gattBatteryOf(battery: EmulatedBattery): GattBattery {
  return {
    name: battery.profile.bleName,
    mac: battery.addressGiven ? battery.address : undefined,
    connect: () => battery.connect(),
    onOnlineChange: (listener) => battery.onOnlineChange(listener),
    isOnline: () => battery.online,
  };
}

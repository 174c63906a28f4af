/** `bms-bridge discover`: every service and characteristic of one device, with readable values in hex. */
import type { Characteristic } from "@stoprocent/noble";
import { toBmsError } from "../../errors.js";
import type { BleAdapter } from "./adapter.js";
import { connectPeripheral, disconnectQuietly, remainingMs, requireMac } from "./connect.js";
import { shortUuid } from "./jbd-verdict.js";

export interface DiscoveredCharacteristic {
  uuid: string;
  properties: string[];
  /** Present when the characteristic is readable and the read worked. */
  valueHex?: string;
  readError?: string;
}

export interface DiscoveredService {
  uuid: string;
  characteristics: DiscoveredCharacteristic[];
}

async function describeCharacteristic(
  adapter: BleAdapter,
  characteristic: Characteristic,
  timeoutMs: number,
): Promise<DiscoveredCharacteristic> {
  const described: DiscoveredCharacteristic = {
    uuid: shortUuid(characteristic.uuid),
    properties: [...characteristic.properties],
  };
  if (!characteristic.properties.includes("read")) return described;
  try {
    const value = await adapter.queue.run(
      `read ${described.uuid}`,
      () => characteristic.readAsync(),
      timeoutMs,
    );
    described.valueHex = value.toString("hex");
  } catch (error) {
    described.readError = toBmsError(error).message;
  }
  return described;
}

export async function discoverBle(
  adapter: BleAdapter,
  address: string,
  options: { timeoutMs: number },
): Promise<DiscoveredService[]> {
  const mac = requireMac(address);
  const deadline = adapter.clock.now() + options.timeoutMs;
  const peripheral = await connectPeripheral(adapter, mac, deadline);
  try {
    const { services } = await adapter.queue.run(
      `discover ${mac}`,
      () => peripheral.discoverAllServicesAndCharacteristicsAsync(),
      remainingMs(adapter, deadline),
    );
    const result: DiscoveredService[] = [];
    for (const service of services) {
      const characteristics: DiscoveredCharacteristic[] = [];
      for (const characteristic of service.characteristics) {
        characteristics.push(await describeCharacteristic(adapter, characteristic, 3000));
      }
      result.push({ uuid: shortUuid(service.uuid), characteristics });
    }
    return result;
  } finally {
    await disconnectQuietly(adapter, peripheral);
  }
}

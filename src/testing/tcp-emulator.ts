/**
 * An emulated battery behind a TCP server on a free port: the harness end-to-end tests use to talk to
 * "a gateway" through the real TCP transport (address `tcp:127.0.0.1:PORT`).
 */
import {
  createEmulatedBattery,
  type EmulatedBattery,
  type EmulatedBatteryOptions,
} from "../emulator/battery.js";
import type { WirePacing } from "../emulator/behaviors/media.js";
import { serveTcp } from "../emulator/tcp-server.js";

export interface TcpEmulator {
  battery: EmulatedBattery;
  host: string;
  port: number;
  /** `tcp:127.0.0.1:PORT`, ready for parseAddress / config. */
  address: string;
  close(): Promise<void>;
}

export async function startTcpEmulator(
  options: EmulatedBatteryOptions & { host?: string; battery?: EmulatedBattery; pacing?: WirePacing } = {},
): Promise<TcpEmulator> {
  const { host = "127.0.0.1", battery: given, pacing, ...batteryOptions } = options;
  const battery = given ?? createEmulatedBattery(batteryOptions);
  // the 9600-baud line behind the gateway by default; `{ msPerByte: 0 }` answers at once
  const server = await serveTcp(battery, pacing ? { host, port: 0, pacing } : { host, port: 0 });
  return {
    battery,
    host,
    port: server.port,
    address: `tcp:${host}:${server.port}`,
    close: async () => {
      await server.close();
      battery.close();
    },
  };
}

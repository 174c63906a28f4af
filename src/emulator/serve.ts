/**
 * Transport wiring, table-driven: each transport kind is one row that starts an endpoint for one battery.
 * Adding a medium (e.g. BLE via bleno, `--hci`) is one row plus its request type.
 */
import { BmsError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { describeHci, type HciSelection } from "../transport/hci.js";
import type { EmulatedBattery } from "./battery.js";
import type { WirePacing } from "./behaviors/media.js";
import { serveSerial } from "./serial-port.js";
import { serveTcp } from "./tcp-server.js";

/** What the user asked to serve on, before it is spread over the batteries. */
/** `pacing`: the wire's line time (behaviors/media.ts); default 9600 baud, `{ msPerByte: 0 }` = none. */
export type ServeRequest =
  | { kind: "tcp"; host: string; port: number; pacing?: WirePacing }
  | { kind: "serial"; paths: string[]; baudRate?: number; pacing?: WirePacing }
  | { kind: "ble"; hcis: HciSelection[] };

export interface Endpoint {
  /** e.g. `tcp 127.0.0.1:8899`, `serial /dev/ttyUSB0`. */
  description: string;
  /** For TCP endpoints, the bound port (useful with port 0). */
  port?: number;
  /** Whether a central is connected (undefined when the medium cannot tell). */
  readonly connected?: boolean;
  close(): Promise<void>;
}

/** What every starter may use: where to tell about its adapter coming and going (BLE). */
export interface ServeContext {
  logger?: Logger;
}

type Starter<R> = (
  battery: EmulatedBattery,
  index: number,
  request: R,
  ctx: ServeContext,
) => Promise<Endpoint | undefined>;

type StarterTable = { [K in ServeRequest["kind"]]: Starter<Extract<ServeRequest, { kind: K }>> };

export const TRANSPORTS: StarterTable = {
  // Battery i listens on PORT+i (port 0: each on a free port).
  tcp: async (battery, index, request) => {
    const server = await serveTcp(battery, {
      host: request.host,
      port: request.port === 0 ? 0 : request.port + index,
      ...(request.pacing && { pacing: request.pacing }),
    });
    return {
      description: `tcp ${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}`,
      port: server.port,
      get connected() {
        return server.connected;
      },
      close: () => server.close(),
    };
  },
  // Battery i uses the i-th --serial path; batteries without one are not on serial.
  serial: async (battery, index, request) => {
    const path = request.paths[index];
    if (path === undefined) return undefined;
    const serial = await serveSerial(battery, {
      path,
      ...(request.baudRate !== undefined && { baudRate: request.baudRate }),
      ...(request.pacing && { pacing: request.pacing }),
    });
    return { description: `serial ${serial.path}`, close: () => serial.close() };
  },
  // Battery i advertises on the i-th HCI controller (one controller per battery); bleno loads lazily.
  ble: async (battery, index, request, ctx) => {
    const hci = request.hcis[index];
    if (hci === undefined) return undefined;
    const { gattBatteryOf, startBlenoPeripheral } = await import("./gatt/bleno.js");
    const peripheral = await startBlenoPeripheral({
      hci,
      battery: gattBatteryOf(battery),
      ...(ctx.logger !== undefined && { logger: ctx.logger }),
    });
    // without --mac the battery is known by its controller's address, which it also advertises
    battery.adoptControllerAddress(peripheral.controllerAddress);
    const where = describeHci(hci);
    return {
      description: `ble ${where} (${peripheral.controllerAddress})`,
      get connected() {
        return peripheral.connected;
      },
      close: () => peripheral.stop(),
    };
  },
};

export interface Served {
  /** endpoints[i] = the endpoints of battery i. */
  endpoints: Endpoint[][];
  close(): Promise<void>;
}

export async function serveBatteries(
  batteries: readonly EmulatedBattery[],
  requests: readonly ServeRequest[],
  ctx: ServeContext = {},
): Promise<Served> {
  const endpoints: Endpoint[][] = batteries.map(() => []);
  const close = async () => {
    await Promise.all(endpoints.flat().map((e) => e.close()));
  };
  try {
    for (const request of requests) {
      const start = TRANSPORTS[request.kind] as Starter<ServeRequest>;
      for (const [index, battery] of batteries.entries()) {
        const endpoint = await start(battery, index, request, ctx);
        if (endpoint) endpoints[index]?.push(endpoint);
      }
    }
  } catch (error) {
    await close();
    throw error instanceof BmsError ? error : new BmsError("IO", String(error), {}, { cause: error });
  }
  return { endpoints, close };
}

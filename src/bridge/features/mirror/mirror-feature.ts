/**
 * `--mirror <hci>[,<hci>…]` (config `mirror:`, BMS_MIRROR_HCI): each battery re-advertised on a BLE
 * controller of its own, so the owner's phone app keeps working while the bridge holds or rotates the
 * battery's one link. Legacy advertising is one device per controller: batteries beyond the controllers
 * given are not mirrored (said once at start).
 *
 * A mirror advertises like the real dongle (the shared JBD peripheral, src/transport/ble/peripheral.ts:
 * name, FF00/FF01/FF02, manufacturer data carrying the real battery's MAC) only while its battery is
 * online; going offline it stops advertising and drops its centrals, as a dongle whose battery is gone
 * does. What it answers: mirror-answers.ts. One phone app's limits: mirror-central.ts.
 */
import type { BatteryConfig } from "../../../config/config.js";
import type { Logger } from "../../../log/logger.js";
import type { BlenoPeripheral, GattBattery } from "../../../transport/ble/peripheral.js";
import { describeHci, type HciSelection, parseHci } from "../../../transport/hci.js";
import type { Clock } from "../../../util/clock.js";
import type { EventBus } from "../../event-bus.js";
import type { BatteryStore } from "../../state/battery-store.js";
import type { BridgeFeature } from "../../types.js";
import { type ExclusiveRunner, writeAndReadBack } from "../control/controlled-write.js";
import { MirrorAnswers } from "./mirror-answers.js";
import { type CentralLimits, DEFAULT_CENTRAL_LIMITS, MirrorCentral } from "./mirror-central.js";

/** The user's dongles advertise this; the bridge connects by address and never learns another name. */
export const MIRROR_NAME = "DP04S007L4S200A";

/**
 * A settings page re-read within this long is answered from what the battery said last time, without
 * another trip to it.
 */
export const FORWARD_CACHE_MS = 30_000;

export type StartPeripheral = (options: {
  hci: HciSelection;
  battery: GattBattery;
  logger: Logger;
  clock: Clock;
}) => Promise<Pick<BlenoPeripheral, "controllerAddress" | "stop">>;

export interface MirrorContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  state: { store: BatteryStore };
  device: ExclusiveRunner;
}

export interface MirrorOptions {
  batteries: readonly Pick<BatteryConfig, "id" | "address" | "target" | "pollIntervalS">[];
  /** HCI selections, one per battery in battery order (validated by the config). */
  controllers: readonly string[];
  offlineAfterPolls: number;
  allowControl: boolean;
  name?: string;
  limits?: CentralLimits;
  /** Default: bleno through the shared peripheral, imported only now. */
  startPeripheral?: StartPeripheral;
}

const startBleno: StartPeripheral = async (options) =>
  (await import("../../../transport/ble/peripheral.js")).startBlenoPeripheral(options);

export function createMirrorFeature(ctx: MirrorContext, options: MirrorOptions): BridgeFeature {
  const log = ctx.logger.child("mirror");
  const peripherals: Array<Pick<BlenoPeripheral, "stop">> = [];
  const offs: Array<() => void> = [];
  const startPeripheral = options.startPeripheral ?? startBleno;
  const stopAll = async (): Promise<void> => {
    for (const off of offs.splice(0)) off();
    for (const peripheral of peripherals.splice(0)) await peripheral.stop();
  };

  const mirrorOne = async (battery: MirrorOptions["batteries"][number], controller: string) => {
    const parsed = parseHci(controller);
    if (!parsed.ok) throw new Error(parsed.problem); // unreachable: the config validated it
    const label = `mirror of battery ${battery.id} on ${describeHci(parsed.hci)}`;
    const answers = new MirrorAnswers(
      {
        clock: ctx.clock,
        logger: log,
        battery: () => ctx.state.store.get(battery.id),
        forward: (request) =>
          ctx.device.runExclusive(battery.id, ({ session, keepConnected, signal }) =>
            session.withClient((client) => client.exchange(request), { keepConnected, signal }),
          ),
        writeThrough: async (request) => {
          const { written, after } = await writeAndReadBack(ctx.device, battery.id, (client) =>
            client.exchange(request),
          );
          return { reply: written, after };
        },
      },
      {
        freshForMs: options.offlineAfterPolls * battery.pollIntervalS * 1000,
        cacheMs: FORWARD_CACHE_MS,
        allowControl: options.allowControl,
        label,
      },
    );
    const isOnline = () => ctx.state.store.get(battery.id)?.availability === "online";
    const onlineListeners = new Set<(online: boolean) => void>();
    const centrals = new Set<MirrorCentral>();
    offs.push(
      ctx.bus.on("availability", (change) => {
        if (change.batteryId !== battery.id) return;
        const online = change.state === "online";
        if (!online) for (const central of [...centrals]) central.disconnect();
        for (const listener of [...onlineListeners]) listener(online);
      }),
    );
    const gatt: GattBattery = {
      name: options.name ?? MIRROR_NAME,
      mac: battery.target.kind === "ble" ? battery.target.mac : undefined,
      isOnline,
      onOnlineChange: (listener) => {
        onlineListeners.add(listener);
        return () => onlineListeners.delete(listener);
      },
      connect: (address = "unknown") => {
        if (!isOnline()) throw new Error(`battery ${battery.id} is offline`);
        log.info(`${label}: central ${address} connected`);
        const central: MirrorCentral = new MirrorCentral(
          address,
          answers,
          {
            clock: ctx.clock,
            logger: log,
            onClose: () => {
              centrals.delete(central);
              log.info(`${label}: central ${address} disconnected`);
            },
          },
          options.limits ?? DEFAULT_CENTRAL_LIMITS,
        );
        centrals.add(central);
        return central;
      },
    };
    const peripheral = await startPeripheral({
      hci: parsed.hci,
      battery: gatt,
      logger: log,
      clock: ctx.clock,
    });
    peripherals.push(peripheral);
    log.info(
      `${label}: advertising ${gatt.name} as ${peripheral.controllerAddress} (battery ${battery.address}) while the battery is online`,
    );
  };

  return {
    name: "mirror",
    async start() {
      const { batteries, controllers } = options;
      const pairs = batteries.slice(0, controllers.length);
      if (controllers.length < batteries.length) {
        const left = batteries.slice(controllers.length).map((b) => b.id);
        log.warn(
          `${controllers.length} mirror controller(s) for ${batteries.length} batteries: mirroring batteries ${pairs.map((b) => b.id).join(", ")}; not mirrored: ${left.join(", ")} (one controller per battery: legacy advertising is one device per controller)`,
        );
      }
      if (options.allowControl)
        log.warn(
          "writes from the mirrors' phone apps are ENABLED (--allow-control): factory mode, parameters, MOSFETs",
        );
      try {
        for (const [index, battery] of pairs.entries())
          await mirrorOne(battery, controllers[index] as string);
      } catch (error) {
        await stopAll(); // the bridge stops only features that started
        throw error;
      }
    },
    stop: stopAll,
  };
}

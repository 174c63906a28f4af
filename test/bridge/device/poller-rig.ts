/** The poller test rig: a poller wired to scripted batteries on fake timers (poller*.test.ts). */
import { vi } from "vitest";
import { Poller } from "../../../src/bridge/device/poller.js";
import { EventBus } from "../../../src/bridge/event-bus.js";
import type { AvailabilityChange, BatteryReading } from "../../../src/bridge/types.js";
import type { BridgeConfig } from "../../../src/config/config.js";
import { loadConfig } from "../../../src/config/load.js";
import type { BmsError } from "../../../src/errors.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import type { RequestFrame } from "../../../src/protocol/types.js";
import { healthyReply, ScriptedBms, type ScriptedReply } from "../../../src/testing/index.js";
import { type AdapterOpener, createBatteryLinkOpener } from "../../../src/transport/open-link.js";
import { sleep, systemClock } from "../../../src/util/clock.js";

export interface RigOptions {
  addresses: string[];
  bridge?: Record<string, unknown>;
  batteries?: Array<Record<string, unknown>>;
  /** Simulated time a BLE connect takes (ms). */
  connectMs?: number;
  /** Simulated time a reply takes (ms). */
  replyMs?: number;
  /** The jitter source; default 0.5 (no shift). */
  random?: () => number;
}

type Override = (request: RequestFrame) => ScriptedReply;
/** A scripted battery whose answers a test can replace (undefined = healthy). */
type Battery = ScriptedBms & { responderOverride?: Override | undefined };

/** A poller wired to scripted batteries: BLE ones behind a fake adapter that records overlapping operations. */
export function rig(options: RigOptions) {
  const config: BridgeConfig = loadConfig({
    file: {
      path: "test.yaml",
      text: JSON.stringify({
        batteries:
          options.batteries ?? options.addresses.map((address, i) => ({ id: String(i + 1), address })),
        bridge: { jitter: 0, request_timeout: 0.5, request_attempts: 2, ...options.bridge },
      }),
    },
    randomHex: () => "00",
  });
  const bms = new Map<string, Battery>();
  const bmsFor = (key: string): Battery => {
    let found = bms.get(key);
    if (!found) {
      const battery: Battery = new ScriptedBms(key, (request) => {
        const reply = battery.responderOverride ? battery.responderOverride(request) : healthyReply(request);
        if (!reply || !options.replyMs) return reply;
        const link = battery.link;
        adapter.busy++;
        systemClock.setTimeout(() => {
          adapter.busy--;
          for (const chunk of reply) link?.emitData(chunk);
        }, options.replyMs);
        return undefined;
      });
      found = battery;
      bms.set(key, found);
    }
    return found;
  };
  const adapter = {
    busy: 0,
    overlaps: 0,
    opens: 0,
    closes: 0,
    /** Set: the adapter is away and every open fails fast with it (as the supervised adapter does). */
    away: undefined as BmsError | undefined,
    /** When each open was asked for, by MAC. */
    asked: new Map<string, number[]>(),
  };
  const enter = () => {
    if (adapter.busy > 0) adapter.overlaps++;
    adapter.busy++;
  };
  const createBleOpener = async (): Promise<AdapterOpener> => ({
    open: async (mac) => {
      adapter.asked.set(mac, [...(adapter.asked.get(mac) ?? []), Date.now()]);
      if (adapter.away) throw adapter.away;
      enter();
      adapter.opens++;
      await sleep(systemClock, options.connectMs ?? 0);
      adapter.busy--;
      const link = bmsFor(mac).connect();
      const write = link.write.bind(link);
      link.write = async (bytes) => {
        enter();
        adapter.busy--;
        return write(bytes);
      };
      const close = link.close.bind(link);
      link.close = async () => {
        enter();
        adapter.closes++;
        adapter.busy--;
        return close();
      };
      return link;
    },
    close: async () => {},
  });
  const logger = createMemoryLogger("info");
  const bus = new EventBus();
  const readings: BatteryReading[] = [];
  const availability: AvailabilityChange[] = [];
  const deviceInfo: unknown[] = [];
  bus.on("reading", (r) => readings.push(r));
  bus.on("availability", (a) => availability.push(a));
  bus.on("deviceInfo", (d) => deviceInfo.push(d));
  const memory = new Map(
    config.batteries
      .filter((b) => b.target.kind === "memory")
      .map(
        (b) => [b.target.kind === "memory" ? b.target.name : "", () => bmsFor(b.address).connect()] as const,
      ),
  );
  const links = createBatteryLinkOpener({ clock: systemClock, logger, memory, createBleOpener });
  const poller = new Poller({
    config,
    clock: systemClock,
    logger,
    bus,
    links,
    random: options.random ?? (() => 0.5),
  });
  return { config, poller, bms, bmsFor, adapter, logger, readings, availability, deviceInfo, bus };
}

/** stop() waits for the operation in progress, which may itself wait on (fake) time. */
export async function stop(poller: Poller): Promise<void> {
  const stopped = poller.stop();
  await vi.advanceTimersByTimeAsync(10_000);
  await stopped;
}

export const seqOf = (readings: BatteryReading[], id: string) =>
  readings.filter((r) => r.batteryId === id).map((r) => r.seq);

/**
 * The battery-session test rig (battery-session*.test.ts): one session over a scripted BMS on the manual
 * clock. The scripted BMS answers at once (a microtask); silence is a reply that never comes, so only the
 * clock ends a request.
 */
import { BatterySession } from "../../../src/bridge/device/battery-session.js";
import { EventBus } from "../../../src/bridge/event-bus.js";
import type { BatteryReading, PollOutcome } from "../../../src/bridge/types.js";
import { loadConfig } from "../../../src/config/load.js";
import type { BmsError } from "../../../src/errors.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { healthyReply, ManualClock, ScriptedBms } from "../../../src/testing/index.js";
import type { BatteryLinkOpener } from "../../../src/transport/open-link.js";
import type { OpenOptions } from "../../../src/transport/types.js";

export const INTERVAL_MS = 10_000;

export interface SessionRigOptions {
  /** Overrides of the `bridge` section (poll interval 10 s, request timeout 1 s and 1 attempt by default). */
  bridge?: Record<string, unknown>;
  /** The signal strength the links report (dBm); unknown by default. */
  rssi?: number;
}

export function rig(options: SessionRigOptions = {}) {
  const config = loadConfig({
    file: {
      path: "session.json",
      text: JSON.stringify({
        batteries: [{ address: "memory:one" }],
        bridge: {
          poll_interval: INTERVAL_MS / 1000,
          request_timeout: 1,
          request_attempts: 1,
          stale_after_polls: 2,
          offline_after_polls: 3,
          backoff_max: 60,
          ...options.bridge,
        },
      }),
    },
    randomHex: () => "00",
  });
  const clock = new ManualClock(Date.UTC(2026, 1, 22, 13, 0, 0));
  const logger = createMemoryLogger();
  const bus = new EventBus();
  const events: string[] = [];
  const readings: BatteryReading[] = [];
  const outcomes: PollOutcome[] = [];
  const deviceInfo: unknown[] = [];
  bus.on("deviceInfo", (d) => {
    events.push("deviceInfo");
    deviceInfo.push(d);
  });
  bus.on("availability", (a) => events.push(`${a.state}: ${a.reason}`));
  bus.on("reading", (r) => {
    events.push(`reading ${r.seq}`);
    readings.push(r);
  });
  bus.on("poll", (o) => outcomes.push(o));
  const bms = new ScriptedBms("memory:one");
  let silent = false;
  bms.responder = (request) => (silent ? undefined : healthyReply(request));
  /** Set: every open fails with it at once (a supervised adapter that is away fails fast like this). */
  let openError: BmsError | undefined;
  /** Set: opens wait for it (a BLE connect in progress). */
  let openGate: Promise<void> | undefined;
  /** The options of every open, in order. */
  const opens: OpenOptions[] = [];
  const links: BatteryLinkOpener = {
    open: async (_battery, openOptions) => {
      opens.push(openOptions);
      if (openGate !== undefined) await openGate;
      if (openError) throw openError;
      const link = bms.connect();
      return options.rssi === undefined ? link : Object.assign(link, { rssi: options.rssi });
    },
    close: async () => {},
    adapterHealth: () => [],
  };
  const battery = config.batteries[0];
  if (!battery) throw new Error("one battery expected");
  const session = new BatterySession(battery, { clock, logger, bus, links, polling: config.bridge });
  /** Runs one poll, moving the clock in 100 ms steps while it waits for replies that may never come. */
  const poll = async (keepConnected = true, signal?: AbortSignal): Promise<boolean> => {
    let done: boolean | undefined;
    void session.poll({ keepConnected, ...(signal && { signal }) }).then((ok) => {
      done = ok;
    });
    for (let waited = 0; done === undefined; waited += 100) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done === undefined) clock.tick(100);
      if (waited > 60_000) throw new Error("poll never finished");
    }
    return done;
  };
  const setSilent = (value: boolean) => {
    silent = value;
  };
  const setOpenError = (error: BmsError | undefined) => {
    openError = error;
  };
  /** Holds every open until the returned function is called. */
  const holdOpens = (): (() => void) => {
    let release = (): void => {};
    openGate = new Promise<void>((resolve) => {
      release = () => {
        openGate = undefined;
        resolve();
      };
    });
    return release;
  };
  const warnings = () => logger.records.filter((r) => r.level === "warn").map((r) => r.message);
  const messages = () => logger.records.map((r) => `${r.level} ${r.message}`);
  return {
    clock,
    logger,
    bms,
    session,
    events,
    readings,
    outcomes,
    deviceInfo,
    opens,
    poll,
    setSilent,
    setOpenError,
    holdOpens,
    warnings,
    messages,
  };
}

/** Lets the session's pending promise callbacks run (the manual clock does not move). */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

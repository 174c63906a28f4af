/**
 * Link health, published retained for people and Home Assistant's diagnostic entities:
 * - `<prefix>/battery/<id>/link`: the battery's link stats from the shared store (state/link-stats.ts) with
 *   its availability: RSSI, link quality (% of the last 100 polls with a valid reading), reads ok/failed,
 *   reconnects, last error (with its cause), last valid reading;
 * - `<prefix>/bridge/<bridgeId>/health`: `state` (`running`, or `stopped` after a clean stop), uptime, each
 *   BLE adapter's state, losses, resets and queue depth, the MQTT offline queue, and memory. One topic per
 *   bridge: on a site of several bridges they would overwrite each other (docs/mqtt.md "Link health").
 * Every `periodMs` (30 s), at once when a battery's availability or an adapter changes, and again on every
 * (re)connect. No message expiry: a link report stays true after the fact (when did it last read?).
 */
import type { Logger } from "../../../log/logger.js";
import type { AdapterHealth } from "../../../transport/open-link.js";
import type { Clock, TimerHandle } from "../../../util/clock.js";
import type { EventBus } from "../../event-bus.js";
import type { MqttPort } from "../../mqtt/port.js";
import { RetainedTopics } from "../../mqtt/retained.js";
import { batteryTopic, bridgeHealthTopic, legacyBridgeHealthTopic } from "../../mqtt/topics.js";
import type { BridgeState } from "../../state/bridge-state.js";
import type { BridgeFeature } from "../../types.js";

/** Where the bridge-wide figures come from (bridge.ts); the process facts from the CLI. */
export interface BridgeHealthSource {
  /** When the bridge started (clock ms). */
  startedAt: number;
  adapters(): AdapterHealth[];
  /** Publishes waiting for the broker (absent with an injected MQTT port). */
  mqttQueued?(): number;
  /** Resident and heap memory (bytes); only the CLI reads the process. */
  memory?(): { rssBytes: number; heapUsedBytes: number };
  /** This bridge on its site: id, whether it publishes the bank, the other bridges online, id collisions. */
  site?(): Record<string, unknown>;
}

export interface LinkHealthContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
  state: BridgeState;
  health: BridgeHealthSource;
}

export interface LinkHealthOptions {
  prefix: string;
  /** This bridge on the site: its health goes to `<prefix>/bridge/<bridgeId>/health`. */
  bridgeId: string;
  qos: 0 | 1 | 2;
  periodMs?: number;
}

export const HEALTH_PERIOD_MS = 30_000;

const megabytes = (bytes: number) => Math.round(bytes / 104_857.6) / 10;

export function bridgeHealthJson(
  source: BridgeHealthSource,
  now: number,
  state: "running" | "stopped" = "running",
): Record<string, unknown> {
  const adapters = source.adapters();
  const memory = source.memory?.();
  return {
    state,
    uptime_s: Math.round((now - source.startedAt) / 1000),
    adapters: adapters.map((a) => ({
      hci: a.hci,
      state: a.state,
      losses: a.losses,
      resets: a.resets,
      recoveries: a.recoveries,
      queue_depth: a.queueDepth,
      ...(a.lastProblem && {
        last_problem: { reason: a.lastProblem.reason, at: new Date(a.lastProblem.time).toISOString() },
      }),
    })),
    adapter_losses: adapters.reduce((sum, a) => sum + a.losses, 0),
    adapter_resets: adapters.reduce((sum, a) => sum + a.resets, 0),
    adapter_queue_depth: adapters.reduce((sum, a) => sum + a.queueDepth, 0),
    ...(source.mqttQueued && { mqtt_queue_depth: source.mqttQueued() }),
    ...(memory && { rss_mb: megabytes(memory.rssBytes), heap_mb: megabytes(memory.heapUsedBytes) }),
    ...(source.site && { site: source.site() }),
    timestamp: new Date(now).toISOString(),
  };
}

export function createLinkHealthFeature(ctx: LinkHealthContext, options: LinkHealthOptions): BridgeFeature {
  const topics = new RetainedTopics(
    { ...ctx, logger: ctx.logger.child("link-health") },
    { qos: options.qos },
  );
  const off: Array<() => void> = [];
  let timer: TimerHandle | undefined;

  const publishBattery = (batteryId: string, stopping = false): Promise<void> | undefined => {
    const battery = ctx.state.store.get(batteryId);
    if (!battery) return undefined;
    const report = {
      ...battery.link.health(),
      // a stopping bridge reads it no more: its last report must not say `online`
      availability: stopping ? "offline" : (battery.availability ?? "unknown"),
      timestamp: new Date(ctx.clock.now()).toISOString(),
    };
    return topics.publish(batteryTopic(options.prefix, batteryId, "link"), JSON.stringify(report));
  };
  const healthTopic = bridgeHealthTopic(options.prefix, options.bridgeId);
  const publishBridge = (state?: "stopped"): Promise<void> => {
    const report = bridgeHealthJson(ctx.health, ctx.clock.now(), state);
    return topics.publish(healthTopic, JSON.stringify(report));
  };
  const publishAll = (): void => {
    for (const battery of ctx.state.store.all()) void publishBattery(battery.batteryId);
    void publishBridge();
  };
  /** On a connect: every report (a broker without persistence lost them); at start: the bridge's alone. */
  const onConnect = (batteries = true): void => {
    // a 0.1.0 bridge's report, shared by the whole site, would otherwise stay retained forever
    void topics.clear(legacyBridgeHealthTopic(options.prefix));
    if (batteries) publishAll();
    else void publishBridge();
  };
  const tick = (): void => {
    publishAll();
    timer = ctx.clock.setTimeout(tick, options.periodMs ?? HEALTH_PERIOD_MS);
    timer.unref?.();
  };

  return {
    name: "link-health",
    async start() {
      off.push(
        ctx.bus.on("availability", (change) => void publishBattery(change.batteryId)),
        ctx.bus.on("adapter", () => void publishBridge()),
        ctx.mqtt.onConnect(() => onConnect()),
      );
      // connected before this start (a port passed in, a broker that answered at once): no connect is
      // coming, and the last run's `stopped` must not stay for a period; the batteries' first reports a
      // period after start, once they had their first polls
      if (ctx.mqtt.connected) onConnect(false);
      timer = ctx.clock.setTimeout(tick, options.periodMs ?? HEALTH_PERIOD_MS);
      timer.unref?.();
    },
    async stop() {
      if (timer !== undefined) ctx.clock.clearTimeout(timer);
      for (const unsubscribe of off.splice(0)) unsubscribe();
      if (!ctx.mqtt.connected) return;
      const known = ctx.state.store.all().filter((b) => b.availability !== undefined);
      // the bridge's last report says it stopped (its `<prefix>/bridge/<id>/state` says `offline` too)
      await Promise.all([...known.map((b) => publishBattery(b.batteryId, true)), publishBridge("stopped")]);
    },
  };
}

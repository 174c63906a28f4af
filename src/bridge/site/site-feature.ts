/**
 * Several bridges on one broker form a site (docs/mqtt.md "Several bridges on one site", docs/deploy.md).
 * This feature is this bridge's part in it:
 * - it says who it is: `<prefix>/bridge/<id>/info` (bank mode, batteries), retained; its own
 *   `<prefix>/bridge/<id>/state` and last will are the MQTT connection's;
 * - it keeps the site's `<prefix>/bridge/state` `online` while it runs: said on every connect, said again
 *   when anything else says otherwise, and on MQTT 5 with an expiry refreshed well within it, so the site
 *   state outlives no bridge by more than the offline bound; a clean stop says `offline` only when no other
 *   bridge is online (no will on it: one bridge dying must not take the site offline);
 * - it reads the other bridges' state and info and their batteries' availability and status into the
 *   SiteView (the election and the remote bank members), and tells the bank tracker (`site` events);
 * - as the bank publisher, it marks a dead bridge's batteries `offline` (and clears their telemetry), so
 *   an MQTT 3.1.1 broker, which has no expiry, does not keep them live either;
 * - a battery id another bridge also publishes is reported (a warning line and the bridge health).
 */
import type { BankMode } from "../../config/schema.js";
import type { Logger } from "../../log/logger.js";
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import type { MqttPort } from "../mqtt/port.js";
import { RetainedTopics } from "../mqtt/retained.js";
import { availabilityTopic, bridgeInfoTopic, bridgeStateTopic } from "../mqtt/topics.js";
import { batteryTelemetryTopics } from "../publish/topic-sets.js";
import type { BridgeState } from "../state/bridge-state.js";
import type { BridgeFeature } from "../types.js";
import type { Collision } from "./site-view.js";

export interface SiteFeatureContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
  state: BridgeState;
}

export interface SiteFeatureOptions {
  prefix: string;
  qos: 0 | 1 | 2;
  bridgeId: string;
  bank: BankMode;
  batteryIds: readonly string[];
  /** The offline bound (s): the MQTT 5 expiry of the site's `online`. */
  offlineBoundS: number;
  version: string;
}

/** One subscription: a topic filter and which level holds the bridge or battery id. */
const levelOf = (topic: string, fromEnd: number): string => topic.split("/").at(-fromEnd) ?? "";

export function createSiteFeature(ctx: SiteFeatureContext, options: SiteFeatureOptions): BridgeFeature {
  const { prefix } = options;
  const view = ctx.state.site;
  const log = ctx.logger.child("site");
  const siteTopic = bridgeStateTopic(prefix);
  const topics = new RetainedTopics({ ...ctx, logger: log }, { qos: options.qos });
  const siteOnline = new RetainedTopics(
    { ...ctx, logger: log },
    { qos: options.qos, messageExpiryS: options.offlineBoundS },
  );
  const unsubscribers: Array<() => Promise<void> | void> = [];
  let refresh: TimerHandle | undefined;
  let stopping = false;
  let publisher = view.bankPublisher;

  const sayOnline = () => void siteOnline.publish(siteTopic, "online", ctx.clock.now());

  const checkRole = (): void => {
    const now = view.bankPublisher;
    if (now === publisher) return;
    publisher = now;
    log.info(
      now
        ? `bridge ${options.bridgeId} publishes the site bank (${prefix}/battery/…, ${prefix}/bank/…)`
        : `bridge ${options.bridgeId} leaves the site bank to another bridge`,
    );
    ctx.bus.emit("site", { kind: "role", bankPublisher: now });
  };

  /** The bank publisher says a dead bridge's batteries are offline: nothing it read stays live. */
  const markGone = (bridgeId: string): void => {
    const gone = view.batteriesOf(bridgeId).filter((id) => view.availability(id, "offline"));
    if (gone.length === 0) return;
    log.info(`bridge ${bridgeId} is offline: its batteries ${gone.join(", ")} no longer count in the bank`);
    if (!publisher) return;
    for (const id of gone) {
      void topics.publish(availabilityTopic(prefix, id), "offline");
      for (const topic of batteryTelemetryTopics(prefix, id)) void topics.clear(topic);
    }
  };

  const onBridgeState = (topic: string, payload: Buffer): void => {
    const bridgeId = levelOf(topic, 2);
    if (!view.bridgeState(bridgeId, payload.toString())) return;
    checkRole();
    if (payload.toString() !== "online") {
      markGone(bridgeId);
      ctx.bus.emit("site", { kind: "offline" });
    }
  };

  const onInfo = (topic: string, payload: Buffer): void => {
    try {
      view.bridgeInfo(levelOf(topic, 2), JSON.parse(payload.toString()) as Record<string, unknown>);
    } catch {
      return; // cleared, or not ours
    }
    checkRole();
  };

  const onAvailability = (topic: string, payload: Buffer): void => {
    const batteryId = levelOf(topic, 2);
    if (!view.availability(batteryId, payload.toString())) return;
    ctx.bus.emit(
      "site",
      payload.toString() === "online" ? { kind: "battery", batteryId } : { kind: "offline", batteryId },
    );
  };

  const onStatus = (topic: string, payload: Buffer): void => {
    const batteryId = levelOf(topic, 2);
    const collision = view.status(batteryId, payload, ctx.clock.now());
    if (collision) reportCollision(collision);
    else if (!options.batteryIds.includes(batteryId)) ctx.bus.emit("site", { kind: "battery", batteryId });
  };

  const reportCollision = ({ batteryId, bridgeId, address }: Collision): void => {
    log.warn(
      `battery id "${batteryId}" is also published by bridge ${bridgeId}${address ? ` (${address})` : ""}: ` +
        "the two batteries would be mixed up; give one of them its own id (batteries: - id: …)",
    );
  };

  const onConnect = async (): Promise<void> => {
    const info = { bank: options.bank, batteries: options.batteryIds, version: options.version };
    void topics.publish(bridgeInfoTopic(prefix, options.bridgeId), JSON.stringify(info));
    sayOnline();
    // the retained state of the subscriptions arrives before this returns: only then elect
    await ctx.mqtt.sync?.();
    view.settle();
    checkRole();
  };

  return {
    name: "site",
    async start() {
      view.expectFeed();
      if (ctx.mqtt.sync === undefined) view.settle(); // a port that delivers synchronously (FakeMqtt)
      publisher = view.bankPublisher;
      const subscriptions: Array<[string, (topic: string, payload: Buffer) => void]> = [
        [siteTopic, (_t, payload) => !stopping && payload.toString() !== "online" && sayOnline()],
        [`${prefix}/bridge/+/state`, onBridgeState],
        [`${prefix}/bridge/+/info`, onInfo],
        [`${prefix}/battery/+/availability`, onAvailability],
        [`${prefix}/battery/+/status`, onStatus],
      ];
      for (const [filter, handler] of subscriptions)
        unsubscribers.push(await ctx.mqtt.subscribe(filter, handler));
      unsubscribers.push(ctx.mqtt.onConnect(() => void onConnect()));
      if (ctx.mqtt.connected) void onConnect();
      const everyMs = Math.max(1000, (options.offlineBoundS * 1000) / 3);
      const tick = () => {
        if (ctx.mqtt.connected && ctx.mqtt.supportsMessageExpiry) sayOnline();
        refresh = ctx.clock.setTimeout(tick, everyMs);
        refresh.unref?.();
      };
      refresh = ctx.clock.setTimeout(tick, everyMs);
      refresh.unref?.();
    },
    async stop() {
      stopping = true;
      if (refresh !== undefined) ctx.clock.clearTimeout(refresh);
      for (const off of unsubscribers.splice(0)) await off();
      if (ctx.mqtt.connected && view.otherBridgesOnline.length === 0)
        await topics.publish(siteTopic, "offline");
    },
  };
}

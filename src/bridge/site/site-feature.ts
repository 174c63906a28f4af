/**
 * Several bridges on one broker form a site (docs/mqtt.md "Several bridges on one site", docs/deploy.md).
 * This feature is this bridge's part in it:
 * - it says who it is: `<prefix>/bridge/<id>/info` (bank mode, batteries), retained; its own
 *   `<prefix>/bridge/<id>/state` and last will are the MQTT connection's;
 * - it keeps the site's `<prefix>/bridge/state` `online` while it runs: said on every connect, said again
 *   when anything else says otherwise, and on MQTT 5 with an expiry refreshed well within it, so the site
 *   state outlives no bridge by more than the offline bound; a clean stop says `offline` only when no other
 *   bridge is online (no will on it: one bridge dying must not take the site offline);
 * - it reads the other bridges' state and info into the SiteView (the election: O(bridges) messages);
 * - only while elected (the bank publisher, or `bank: always`) and once another bridge is known (a lone
 *   bridge would only get its own messages back) it also reads every battery's availability and status
 *   (the remote bank members: B × N messages a second on a big site, which the other bridges must not pay)
 *   and, with energy counters on, their `energy/<field>` (the bank energy total); after subscribing it waits
 *   for a round trip through the broker, so the retained statuses have arrived, before it publishes a bank
 *   (`site` role event); losing the election unsubscribes and forgets them;
 * - as the bank publisher, it marks a dead bridge's batteries `offline` (and clears their telemetry), so
 *   an MQTT 3.1.1 broker, which has no expiry, does not keep them live either;
 * - a battery id another bridge also publishes is reported (a warning line and the bridge health): a
 *   bridge subscribes to its own batteries' status topics for that, O(own batteries), except while it
 *   holds `<prefix>/battery/+/status`, which brings them too: two overlapping subscriptions would deliver
 *   each own status twice on Mosquitto with MQTT 5 (one copy per matching subscription).
 */
import type { BankMode } from "../../config/schema.js";
import type { Logger } from "../../log/logger.js";
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import type { MqttPort } from "../mqtt/port.js";
import { RetainedTopics } from "../mqtt/retained.js";
import {
  availabilityTopic,
  batteryTopic,
  bridgeInfoTopic,
  bridgeStateTopic,
  STATUS_FIELD,
} from "../mqtt/topics.js";
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
  /** The energy feature runs: while elected, also read every battery's energy counters (the bank total). */
  energy?: boolean;
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
  const own = new Set(options.batteryIds);
  let refresh: TimerHandle | undefined;
  let stopping = false;
  /** What the last `role` event said: this bridge publishes the bank (view.publishingBank). */
  let publisher = view.publishingBank;
  /**
   * The subscriptions to every battery's availability, status and (energy on) energy counters, held while
   * elected once another bridge is known (the one rule: view.knowsOtherBridges).
   */
  let remote: Array<() => Promise<void>> | undefined;
  /** Subscribing and unsubscribing in turn, so a quick loss and regain of the election cannot interleave. */
  let remoteWork: Promise<void> = Promise.resolve();
  /** The subscriptions to this bridge's own batteries' statuses (collisions), held while `remote` is not. */
  let ownStatus: Array<() => Promise<void>> | undefined;

  const sayOnline = () => void siteOnline.publish(siteTopic, "online", ctx.clock.now());

  const announceRole = (): void => {
    const now = view.publishingBank;
    if (now === publisher) return;
    publisher = now;
    log.info(
      now
        ? `bridge ${options.bridgeId} publishes the site bank (${prefix}/battery/…, ${prefix}/bank/…)`
        : `bridge ${options.bridgeId} leaves the site bank to another bridge`,
    );
    ctx.bus.emit("site", { kind: "role", bankPublisher: now });
  };

  /** Elected: read every battery (fresh, then one round trip) before publishing; not elected: stop reading. */
  const followElection = (): void => {
    remoteWork = remoteWork.then(applyElection).catch((error: Error) => {
      log.warn(`site subscriptions: ${error.message}`);
    });
  };

  const applyElection = async (): Promise<void> => {
    const elected = !stopping && view.bankPublisher;
    // alone, every battery's topics would bring only this bridge's own messages back (docs/performance.md)
    const reading = elected && view.knowsOtherBridges;
    if (reading && remote === undefined) {
      const held: Array<() => Promise<void>> = [];
      remote = held;
      held.push(
        ...(await Promise.all([
          ctx.mqtt.subscribe(`${prefix}/battery/+/availability`, onAvailability),
          ctx.mqtt.subscribe(`${prefix}/battery/+/status`, onStatus),
          ...(options.energy === true ? [ctx.mqtt.subscribe(`${prefix}/battery/+/energy/+`, onEnergy)] : []),
        ])),
      );
      // the retained availability and statuses arrive before this returns: only then is the site complete
      await ctx.mqtt.sync?.();
      // disconnected meanwhile, nothing came back: the reconnect's round trip completes it (onConnect)
      if (remote === held && ctx.mqtt.connected) view.remoteRead();
      // the wildcard brings the own statuses now: their own subscriptions would only bring them again
      if (remote === held) await unwatchOwn();
    } else if (!reading && remote !== undefined) {
      const held = remote;
      remote = undefined;
      // the own statuses subscribed again before the wildcard goes, so none is missed in between
      if (!stopping) await watchOwn();
      await Promise.all(held.map((off) => off()));
      view.forgetRemote();
    }
    if (elected && !view.knowsOtherBridges) view.remoteRead(); // alone: no other battery to read first
    if (!stopping) announceRole();
  };

  /** The elected bridge says a dead bridge's batteries are offline: nothing it read stays live. */
  const markGone = (bridgeId: string): void => {
    const listed = view.batteriesOf(bridgeId);
    const changed = listed.filter((id) => view.availability(id, "offline"));
    // not reading every battery, the view cannot tell which were already offline: all of them are gone
    const gone = remote === undefined ? listed : changed;
    if (gone.length === 0) return;
    log.info(`bridge ${bridgeId} is offline: its batteries ${gone.join(", ")} no longer count in the bank`);
    if (!view.bankPublisher) return;
    for (const id of gone) {
      void topics.publish(availabilityTopic(prefix, id), "offline");
      for (const topic of batteryTelemetryTopics(prefix, id)) void topics.clear(topic);
    }
  };

  const onBridgeState = (topic: string, payload: Buffer): void => {
    const bridgeId = levelOf(topic, 2);
    if (!view.bridgeState(bridgeId, payload.toString())) return;
    followElection();
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
    followElection();
  };

  const onAvailability = (topic: string, payload: Buffer): void => {
    const batteryId = levelOf(topic, 2);
    // `remote` is dropped before the handler: a message in between must not refill a forgotten view
    if (remote === undefined || !view.availability(batteryId, payload.toString())) return;
    ctx.bus.emit(
      "site",
      payload.toString() === "online" ? { kind: "battery", batteryId } : { kind: "offline", batteryId },
    );
  };

  /** Every battery's status (the elected bridge's subscription): another bridge's, or one of its own ids. */
  const onStatus = (topic: string, payload: Buffer): void => {
    const batteryId = levelOf(topic, 2);
    if (own.has(batteryId)) {
      if (ownStatus === undefined) onOwnStatus(topic, payload); // else its own subscription brought it
      return;
    }
    if (remote === undefined) return;
    view.status(batteryId, payload, ctx.clock.now());
    ctx.bus.emit("site", { kind: "battery", batteryId });
  };

  /** Another bridge's battery's energy counter: counted in the bank energy total (features/energy). */
  const onEnergy = (topic: string, payload: Buffer): void => {
    if (remote !== undefined) view.energy(levelOf(topic, 3), levelOf(topic, 1), payload.toString());
  };

  /** One of this bridge's ids: its own status echoed, or another bridge's under the same id (a collision). */
  const onOwnStatus = (topic: string, payload: Buffer): void => {
    const collision = view.status(levelOf(topic, 2), payload, ctx.clock.now());
    if (collision) reportCollision(collision);
  };

  const watchOwn = async (): Promise<void> => {
    if (ownStatus !== undefined) return;
    const held: Array<() => Promise<void>> = [];
    ownStatus = held;
    for (const id of options.batteryIds)
      held.push(await ctx.mqtt.subscribe(batteryTopic(prefix, id, STATUS_FIELD), onOwnStatus));
  };

  /** Runs only inside the election's sequence (or after it, at stop), so no `watchOwn` is half done. */
  const unwatchOwn = async (): Promise<void> => {
    const held = ownStatus;
    ownStatus = undefined;
    if (held !== undefined) await Promise.all(held.map((off) => off()));
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
    // every subscription is made again on a reconnect, the remote ones too: their statuses are here now
    if (remote !== undefined && ctx.mqtt.connected) view.remoteRead();
    followElection();
    await remoteWork;
  };

  return {
    name: "site",
    async start() {
      view.expectFeed();
      const synchronous = ctx.mqtt.sync === undefined; // a port that delivers synchronously (FakeMqtt)
      if (synchronous) view.settle();
      publisher = view.publishingBank; // not before the broker was read: no role event says "leaves" at start
      const subscriptions: Array<[string, (topic: string, payload: Buffer) => void]> = [
        [siteTopic, (_t, payload) => !stopping && payload.toString() !== "online" && sayOnline()],
        [`${prefix}/bridge/+/state`, onBridgeState],
        [`${prefix}/bridge/+/info`, onInfo],
      ];
      for (const [filter, handler] of subscriptions)
        unsubscribers.push(await ctx.mqtt.subscribe(filter, handler));
      await watchOwn();
      if (synchronous) {
        // elected at once, as before sites read the broker: no role event for the start itself
        followElection();
        await remoteWork;
        publisher = view.publishingBank;
      }
      // not awaited by anyone: a failure (a broker refusing a subscription) is a line, never an unhandled
      // rejection, which would end the process (test/bridge/mqtt/subscribe-cut.test.ts)
      const connected = (): void => {
        onConnect().catch((error: unknown) =>
          log.warn(`reading the site after connecting: ${String(error)}`),
        );
      };
      unsubscribers.push(ctx.mqtt.onConnect(connected));
      if (ctx.mqtt.connected) connected();
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
      followElection(); // not elected once stopping: the remote subscriptions go too
      await remoteWork;
      await unwatchOwn();
      for (const off of unsubscribers.splice(0)) await off();
      if (ctx.mqtt.connected && view.otherBridgesOnline.length === 0)
        await topics.publish(siteTopic, "offline");
    },
  };
}

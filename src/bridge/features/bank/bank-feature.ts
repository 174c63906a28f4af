/**
 * The bank-view feature: keeps the latest reading and online state of every battery and publishes
 * `computeBankView` retained under `<prefix>/bank/<field>` and `<prefix>/bank/status` after every reading
 * (or, with `windowMs`, once per window after the first reading: one computation over all N batteries per
 * poll round instead of N) and at once when a battery goes offline. Scalar topics are published only when
 * their payload changed.
 */
import type { Logger } from "../../../log/logger.js";
import type { Clock } from "../../../util/clock.js";
import { createCoalescer } from "../../../util/coalesce.js";
import type { EventBus } from "../../event-bus.js";
import type { MqttPort } from "../../mqtt/port.js";
import type { BridgeFeature } from "../../types.js";
import { bankScalars, bankStatusJson, scalarPayload } from "./bank-payload.js";
import { type BankMember, type BankView, type BankViewOptions, computeBankView } from "./bank-view.js";

export interface BankFeatureContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
}

export interface BankFeatureOptions extends BankViewOptions {
  /** Topic prefix, e.g. "accusolar". */
  prefix: string;
  /** Ids of the configured batteries (their count is `batteries_configured`). */
  batteryIds: readonly string[];
  /** Publish at most once per this many ms after a reading; 0 (default) = on every reading. */
  windowMs?: number;
}

export interface BankFeature extends BridgeFeature {
  /** The last computed view (for other features and tests). */
  view(): BankView;
}

export function createBankFeature(ctx: BankFeatureContext, options: BankFeatureOptions): BankFeature {
  const log = ctx.logger.child("bank");
  const members = new Map<string, BankMember>(
    options.batteryIds.map((batteryId) => [batteryId, { batteryId, online: false }]),
  );
  const sent = new Map<string, string>();
  const unsubscribers: Array<() => void> = [];
  const compute = (): BankView => computeBankView([...members.values()], members.size, options);

  const send = (topic: string, payload: string, always: boolean): void => {
    if (!always && sent.get(topic) === payload) return;
    sent.set(topic, payload);
    ctx.mqtt.publish(topic, payload, { qos: 1, retain: true }).catch((error: unknown) => {
      sent.delete(topic);
      log.warn(`cannot publish ${topic}: ${String(error)}`);
    });
  };

  const publish = (): void => {
    const view = compute();
    for (const [field, value] of Object.entries(bankScalars(view))) {
      send(`${options.prefix}/bank/${field}`, scalarPayload(value), false);
    }
    send(`${options.prefix}/bank/status`, JSON.stringify(bankStatusJson(view, ctx.clock.now())), true);
  };

  const coalescer = createCoalescer(ctx.clock, options.windowMs ?? 0, publish);
  const publishNow = (): void => {
    coalescer.cancel();
    publish();
  };

  const member = (batteryId: string): BankMember => {
    const known = members.get(batteryId) ?? { batteryId, online: false };
    members.set(batteryId, known);
    return known;
  };

  return {
    name: "bank",
    view: compute,
    async start() {
      unsubscribers.push(
        ctx.bus.on("reading", (reading) => {
          const m = member(reading.batteryId);
          m.reading = reading;
          m.online = true;
          coalescer.schedule();
        }),
        ctx.bus.on("availability", (change) => {
          const online = change.state === "online";
          member(change.batteryId).online = online;
          // Offline counts at once. Online comes just before the reading that caused it, which publishes
          // both: a battery back from an outage never counts with its pre-outage reading.
          if (!online) publishNow();
        }),
        ctx.mqtt.onConnect(() => {
          sent.clear();
          publishNow();
        }),
      );
    },
    async stop() {
      for (const off of unsubscribers.splice(0)) off();
      coalescer.cancel();
    },
  };
}

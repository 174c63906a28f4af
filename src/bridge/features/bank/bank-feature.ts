/**
 * The bank-view feature: publishes the one bank (state/bank-tracker.ts) retained under
 * `<prefix>/bank/<field>` and `<prefix>/bank/status` whenever it is recomputed (once per window after the
 * readings that changed it, at once when a battery goes offline). Scalar topics are published only when
 * their payload changed; everything again after a reconnect. On a site of several bridges only the bank
 * publisher publishes it (it alone gets `bank` events), and a site of one battery has no bank view; a clean
 * stop clears it when no other bridge takes over. A scalar another bridge wrote (two bridges that elected
 * themselves at once) is sent again at the next window (site/bank-overwrites.ts), and everything is sent
 * again when this bridge becomes the publisher (another one wrote meanwhile).
 */
import type { Logger } from "../../../log/logger.js";
import type { Clock } from "../../../util/clock.js";
import type { EventBus } from "../../event-bus.js";
import type { MqttPort } from "../../mqtt/port.js";
import { RetainedTopics } from "../../mqtt/retained.js";
import { BankOverwrites } from "../../site/bank-overwrites.js";
import type { BankUpdate } from "../../state/bank-tracker.js";
import type { BridgeState } from "../../state/bridge-state.js";
import type { BridgeFeature } from "../../types.js";
import { bankScalars, bankStatusJson, scalarPayload } from "./bank-payload.js";

export interface BankFeatureContext {
  logger: Logger;
  clock: Clock;
  bus: EventBus;
  mqtt: MqttPort;
  state: BridgeState;
}

export interface BankFeatureOptions {
  /** Topic prefix, e.g. "accusolar". */
  prefix: string;
  /** The configured `mqtt.qos`. */
  qos: 0 | 1 | 2;
}

export function createBankFeature(ctx: BankFeatureContext, options: BankFeatureOptions): BridgeFeature {
  const log = ctx.logger.child("bank");
  const topics = new RetainedTopics({ ...ctx, logger: log }, { qos: options.qos });
  // `<prefix>/bank/status` is sent with every window: only the scalars can keep another bridge's value
  const overwrites = new BankOverwrites({ ...ctx, logger: log }, `${options.prefix}/bank/+`, topics);
  const unsubscribers: Array<() => void> = [];

  const sent = new Set<string>();
  const statusTopic = `${options.prefix}/bank/status`;
  const fieldTopic = (field: string) => `${options.prefix}/bank/${field}`;
  /** Every topic a bank update is published under, remembered so that a clean stop can clear them. */
  const remember = (scalars: Record<string, unknown>): void => {
    sent.add(statusTopic);
    for (const field of Object.keys(scalars)) sent.add(fieldTopic(field));
  };
  const publish = (update: BankUpdate): void => {
    if (ctx.state.bank.siteSize <= 1) return;
    overwrites.follow();
    const scalars = bankScalars(update);
    remember(scalars);
    for (const [field, value] of Object.entries(scalars))
      void topics.publishChanged(fieldTopic(field), scalarPayload(value));
    void topics.publish(statusTopic, JSON.stringify(bankStatusJson(update)));
  };

  return {
    name: "bank",
    async start() {
      unsubscribers.push(
        ctx.bus.on("bank", publish),
        ctx.bus.on("site", (change) => {
          // just elected: whatever this bridge last sent there, another bridge may have written since
          if (change.kind !== "role") return;
          if (change.bankPublisher) topics.forget();
          else void overwrites.drop();
        }),
        ctx.mqtt.onConnect(() => {
          topics.forget();
          if (ctx.state.bank.publisher) publish(ctx.state.bank.compute());
        }),
      );
    },
    async stop() {
      for (const off of unsubscribers.splice(0)) off();
      await overwrites.close();
      const { bank, site } = ctx.state;
      if (!ctx.mqtt.connected || !site.bankPublisher || site.successorOnline) return;
      // elected but stopped before it had read the site: the previous publisher's view is still retained
      if (!bank.publisher) remember(bankScalars(bank.compute()));
      await Promise.all([...sent].map((topic) => topics.clear(topic)));
    },
  };
}

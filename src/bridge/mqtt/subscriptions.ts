/**
 * The connection's subscriptions (connection.ts). SubscriptionTable: filters survive a fallback client and a
 * clean-session reconnect, and one broker message reaches every matching handler once. BrokerSubscriptions:
 * that table kept in step with the broker — SUBSCRIBE for a new filter, UNSUBSCRIBE for one left without a
 * handler, every filter again on each connect.
 */
import type { IPublishPacket, MqttClient } from "mqtt";
import type { Logger } from "../../log/logger.js";
import type { MqttMessageHandler, MqttMessageMeta } from "./port.js";
import { topicMatches } from "./topics.js";

export class SubscriptionTable {
  readonly #handlers = new Map<string, Set<MqttMessageHandler>>();

  /** Adds a handler; true when the filter is new (the caller then subscribes at the broker). */
  add(filter: string, handler: MqttMessageHandler): boolean {
    const existing = this.#handlers.get(filter);
    if (existing) {
      existing.add(handler);
      return false;
    }
    this.#handlers.set(filter, new Set([handler]));
    return true;
  }

  /** Removes a handler; true when the filter has no handler left (the caller then unsubscribes). */
  remove(filter: string, handler: MqttMessageHandler): boolean {
    const handlers = this.#handlers.get(filter);
    if (!handlers) return false;
    handlers.delete(handler);
    if (handlers.size > 0) return false;
    this.#handlers.delete(filter);
    return true;
  }

  filters(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Calls every matching handler; one that throws is logged and does not stop the others. */
  dispatch(topic: string, payload: Buffer, packet: IPublishPacket, logger: Logger): void {
    const meta = messageMeta(packet);
    for (const [filter, handlers] of this.#handlers) {
      if (!topicMatches(filter, topic)) continue;
      for (const handler of [...handlers]) {
        try {
          handler(topic, payload, meta);
        } catch (error) {
          logger.warn(`handler for ${filter} failed: ${(error as Error).message}`);
        }
      }
    }
  }
}

export class BrokerSubscriptions {
  readonly #table = new SubscriptionTable();
  /** Filters whose UNSUBSCRIBE is not acknowledged yet (see subscribe()). */
  readonly #unsubscribing = new Map<string, Promise<void>>();
  readonly #deps: { client: () => MqttClient | undefined; qos: 0 | 1 | 2; logger: Logger };

  /** `client`: the connection's current client (a fallback to MQTT 3.1.1 replaces it). */
  constructor(deps: { client: () => MqttClient | undefined; qos: 0 | 1 | 2; logger: Logger }) {
    this.#deps = deps;
  }

  /** MqttPort.subscribe: resolves once the broker acknowledged a new filter (at once while disconnected). */
  async subscribe(topicFilter: string, handler: MqttMessageHandler): Promise<() => Promise<void>> {
    const isNew = this.#table.add(topicFilter, handler);
    // The embedded broker (aedes) can complete a SUBSCRIBE before an UNSUBSCRIBE of the same filter sent
    // earlier, which then removes it: wait for that UNSUBACK first (test/bridge/mqtt/connection.test.ts).
    if (isNew) await this.#unsubscribing.get(topicFilter);
    const client = this.#deps.client();
    if (isNew && client?.connected) await this.#subscribeAtBroker(client, topicFilter);
    return async () => {
      const last = this.#table.remove(topicFilter, handler);
      const now = this.#deps.client();
      if (!last || !now?.connected) return;
      const acknowledged = now.unsubscribeAsync(topicFilter).then(
        () => undefined,
        () => undefined,
      );
      this.#unsubscribing.set(topicFilter, acknowledged);
      await acknowledged;
      if (this.#unsubscribing.get(topicFilter) === acknowledged) this.#unsubscribing.delete(topicFilter);
    };
  }

  /**
   * A SUBSCRIBE cut off by a dropped connection is no failure of the caller's: the filter stays in the
   * table and the reconnect subscribes it again (resubscribe). Rejecting here ended the bridge process
   * where a caller did not await the promise (test/bridge/mqtt/subscribe-cut.test.ts).
   */
  async #subscribeAtBroker(client: MqttClient, topicFilter: string): Promise<void> {
    try {
      await client.subscribeAsync(topicFilter, { qos: this.#deps.qos });
    } catch (error) {
      if (client.connected && client === this.#deps.client()) throw error;
      this.#deps.logger.debug(
        `MQTT subscribe to ${topicFilter} waits for the reconnect: ${(error as Error).message}`,
      );
    }
  }

  /** A new session (clean start): the broker knows none of them. */
  resubscribe(client: MqttClient): void {
    for (const filter of this.#table.filters()) {
      client.subscribe(filter, { qos: this.#deps.qos }, (error) => {
        if (error) this.#deps.logger.warn(`MQTT subscribe to ${filter} failed: ${error.message}`);
      });
    }
  }

  dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.#table.dispatch(topic, payload, packet, this.#deps.logger);
  }
}

function messageMeta(packet: IPublishPacket): MqttMessageMeta {
  const meta: MqttMessageMeta = { retain: packet.retain };
  const properties = packet.properties;
  if (properties?.userProperties !== undefined) meta.userProperties = properties.userProperties;
  if (properties?.responseTopic !== undefined) meta.responseTopic = properties.responseTopic;
  return meta;
}

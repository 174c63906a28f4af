/**
 * The connection's own subscription table: filters survive a fallback client and a clean-session
 * reconnect (the connection re-subscribes every filter on each connect), and one broker message reaches
 * every matching handler once.
 */
import type { IPublishPacket } from "mqtt";
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

function messageMeta(packet: IPublishPacket): MqttMessageMeta {
  const meta: MqttMessageMeta = { retain: packet.retain };
  const properties = packet.properties;
  if (properties?.userProperties !== undefined) meta.userProperties = properties.userProperties;
  if (properties?.responseTopic !== undefined) meta.responseTopic = properties.responseTopic;
  return meta;
}

/**
 * The bounded queue that holds publishes made while the broker is unreachable (docs/background.md §7 bug 8: QoS 0 lost them
 * silently). When full, the OLDEST entry is dropped and counted: for retained telemetry the newest value is
 * the one worth keeping. Pure; the connection flushes it in order after reconnecting.
 */
import type { MqttPublishOptions } from "./port.js";

export interface QueuedPublish {
  topic: string;
  payload: string | Buffer;
  options: MqttPublishOptions;
  /** Clock time (ms) when it was queued: its message expiry is shortened by the time spent waiting. */
  queuedAt: number;
}

export class OfflineQueue {
  readonly limit: number;
  #items: QueuedPublish[] = [];
  /** Dropped since the process started. */
  #droppedTotal = 0;
  /** Dropped since the last `drain()` (one outage). */
  #droppedSinceDrain = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`offline queue limit must be ≥ 1, got ${limit}`);
    this.limit = limit;
  }

  get size(): number {
    return this.#items.length;
  }

  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** Adds an entry; returns the entry it dropped to make room, if any. */
  push(item: QueuedPublish): QueuedPublish | undefined {
    this.#items.push(item);
    if (this.#items.length <= this.limit) return undefined;
    this.#droppedTotal += 1;
    this.#droppedSinceDrain += 1;
    return this.#items.shift();
  }

  /** Takes every entry (oldest first) and how many were dropped since the previous drain. */
  drain(): { items: QueuedPublish[]; dropped: number } {
    const items = this.#items;
    const dropped = this.#droppedSinceDrain;
    this.#items = [];
    this.#droppedSinceDrain = 0;
    return { items, dropped };
  }
}

/**
 * The expiry left for a message that waited in the queue ([MQTT-3.3.2-6]: the broker counts from receipt,
 * so the bridge subtracts its own waiting time). Undefined = no expiry; 0 = already expired, do not send.
 */
export function remainingExpiry(item: QueuedPublish, now: number): number | undefined {
  const expiry = item.options.messageExpirySeconds;
  if (expiry === undefined) return undefined;
  return Math.max(0, Math.ceil(expiry - (now - item.queuedAt) / 1000));
}

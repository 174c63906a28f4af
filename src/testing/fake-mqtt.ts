/**
 * FakeMqtt: an in-memory MqttPort that records every publish and keeps the broker's retained state the way
 * a broker would (an empty retained payload deletes it, [MQTT-3.3.1-10]). Tests drive connects with
 * `connect()`/`disconnect()`, deliver inbound messages with `deliver()` and, with `roundTrips`, complete
 * `sync()` round trips with `roundTrip()`.
 */

import type {
  MqttMessageHandler,
  MqttMessageMeta,
  MqttPort,
  MqttPublishOptions,
} from "../bridge/mqtt/port.js";
import { topicMatches } from "../bridge/mqtt/topics.js";

export interface RecordedPublish {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  messageExpirySeconds: number | undefined;
}

export class FakeMqtt implements MqttPort {
  readonly publishes: RecordedPublish[] = [];
  /** What a client subscribing now would receive as retained messages. */
  readonly retained = new Map<string, RecordedPublish>();
  connected: boolean;
  supportsMessageExpiry: boolean;
  /**
   * With `roundTrips`: a round trip through the broker that completes only when the test calls
   * `roundTrip()` (having delivered what a broker would have by then). Without: absent, as on a port that
   * delivers synchronously.
   */
  sync?: () => Promise<void>;
  readonly #connectListeners = new Set<() => void>();
  readonly #subscriptions = new Set<{ filter: string; handler: MqttMessageHandler }>();
  readonly #roundTrips: Array<() => void> = [];

  constructor(options: { connected?: boolean; mqtt5?: boolean; roundTrips?: boolean } = {}) {
    this.connected = options.connected ?? true;
    this.supportsMessageExpiry = options.mqtt5 ?? false;
    if (options.roundTrips) this.sync = () => new Promise<void>((resolve) => this.#roundTrips.push(resolve));
  }

  /** Round trips (`sync()` calls) waiting for `roundTrip()`. */
  get pendingRoundTrips(): number {
    return this.#roundTrips.length;
  }

  /** Completes every pending `sync()`; returns how many. */
  roundTrip(): number {
    const waiting = this.#roundTrips.splice(0);
    for (const resolve of waiting) resolve();
    return waiting.length;
  }

  async publish(topic: string, payload: string | Buffer, options: MqttPublishOptions = {}): Promise<void> {
    const record: RecordedPublish = {
      topic,
      payload: payload.toString(),
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      messageExpirySeconds: options.messageExpirySeconds,
    };
    this.publishes.push(record);
    if (record.retain) {
      if (record.payload === "") this.retained.delete(topic);
      else this.retained.set(topic, record);
    }
  }

  async subscribe(topicFilter: string, handler: MqttMessageHandler): Promise<() => Promise<void>> {
    const entry = { filter: topicFilter, handler };
    this.#subscriptions.add(entry);
    return async () => {
      this.#subscriptions.delete(entry);
    };
  }

  onConnect(listener: () => void): () => void {
    this.#connectListeners.add(listener);
    return () => this.#connectListeners.delete(listener);
  }

  /** Simulates a (re)connect: listeners run as they would after `bridge/state` went online. */
  connect(): void {
    this.connected = true;
    for (const listener of [...this.#connectListeners]) listener();
  }

  disconnect(): void {
    this.connected = false;
  }

  /** Delivers an inbound message to every matching subscription (meta: retain flag, MQTT 5 properties). */
  deliver(topic: string, payload: string | Buffer, meta: MqttMessageMeta = { retain: false }): void {
    const buffer = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    for (const { filter, handler } of [...this.#subscriptions])
      if (topicMatches(filter, topic)) handler(topic, buffer, meta);
  }

  /** Topic filters currently subscribed. */
  get subscriptions(): string[] {
    return [...this.#subscriptions].map((s) => s.filter);
  }

  /** Retained payload of one topic, or undefined. */
  retainedPayload(topic: string): string | undefined {
    return this.retained.get(topic)?.payload;
  }

  /** Retained topics under a filter, sorted. */
  retainedTopics(filter = "#"): string[] {
    return [...this.retained.keys()].filter((t) => topicMatches(filter, t)).sort();
  }

  /** Publishes to one topic, oldest first. */
  publishesTo(topic: string): RecordedPublish[] {
    return this.publishes.filter((p) => p.topic === topic);
  }

  reset(): void {
    this.publishes.length = 0;
    this.retained.clear();
  }
}

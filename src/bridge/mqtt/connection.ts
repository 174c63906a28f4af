/**
 * The bridge's MQTT connection (MqttPort over mqtt.js 5). What it adds to mqtt.js, and why:
 * - never fatal: a broker that is down at start, or goes away, is retried with back-off, and each change of
 *   state is logged once (docs/background.md §7 bug 7: the original Python bridge crashed when the broker was down at start);
 * - the bridge state (`<prefix>/bridge/state`, or the bridge's own `stateTopic`): `online` retained on every
 *   connect, `offline` retained as the last will;
 * - a BOUNDED offline queue (oldest dropped and counted); messages in flight when the link dies stay in
 *   mqtt.js's outgoing store and are resent after the reconnect;
 * - protocol "auto": MQTT 5 first (message expiry), 3.1.1 from then on if the broker refuses 5 (aedes does).
 */
import { hostname } from "node:os";
import type { IClientPublishOptions, MqttClient } from "mqtt";
import { defaultClientId } from "../../config/defaults.js";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { type Clock, settleWithin } from "../../util/clock.js";
import { createMqttClient } from "./client.js";
import { ConnectionProblems } from "./connection-problems.js";
import { OfflineQueue, type QueuedPublish, remainingExpiry } from "./offline-queue.js";
import {
  clientOptions,
  closedBeforeAnswer,
  DEFAULT_MQTT_OPTIONS,
  describeConnectError,
  type MqttConnectionOptions,
  readCaFile,
  UNSUPPORTED_PROTOCOL_CODES,
  validateBrokerUrl,
} from "./options.js";
import type { MqttMessageHandler, MqttPort, MqttPublishOptions } from "./port.js";
import { roundTrip } from "./round-trip.js";
import { BrokerSubscriptions } from "./subscriptions.js";
import { bridgeStateTopic } from "./topics.js";

const STOP_GRACE_MS = 2000;
/** How long sync() waits for its own token (a broker whose ACL forbids the topic never sends it). */
const SYNC_LIMIT_MS = 5000;

export interface MqttConnectionContext {
  logger: Logger;
  clock: Clock;
  /** For the default client id; os.hostname() when absent. */
  hostname?: string;
}

export interface MqttConnectionStats {
  /** Publishes waiting for the broker. */
  queued: number;
  /** Publishes dropped (oldest first) because the offline queue was full. */
  dropped: number;
  /** The protocol of the current or last session (4 = 3.1.1), undefined before the first connect. */
  protocolVersion: 4 | 5 | undefined;
  clientId: string;
}

export class MqttConnection implements MqttPort {
  readonly #ctx: MqttConnectionContext;
  readonly #options: MqttConnectionOptions;
  readonly #queue: OfflineQueue;
  readonly #clientId: string;
  readonly #subscriptions: BrokerSubscriptions;
  readonly #connectListeners = new Set<() => void>();
  #waiters: Array<() => void> = [];
  readonly #inFlight = new Set<Promise<void>>();
  #client: MqttClient | undefined;
  #ca: Buffer | undefined;
  #trying: 4 | 5 = 5;
  #version: 4 | 5 | undefined;
  #wasConnected = false;
  #attemptFailed = false;
  #lastError: string | undefined;
  readonly #problems: ConnectionProblems;
  #stopped = false;
  #syncs = 0;

  constructor(ctx: MqttConnectionContext, options: Partial<MqttConnectionOptions> & { url: string }) {
    this.#ctx = ctx;
    this.#options = { ...DEFAULT_MQTT_OPTIONS, ...options };
    this.#queue = new OfflineQueue(this.#options.queueLimit);
    this.#clientId = this.#options.clientId ?? defaultClientId(ctx.hostname ?? hostname());
    this.#subscriptions = new BrokerSubscriptions({
      client: () => this.#client,
      qos: this.#options.qos,
      logger: ctx.logger,
    });
    this.#problems = new ConnectionProblems(ctx.logger, {
      minMs: this.#options.reconnectMinMs,
      maxMs: this.#options.reconnectMaxMs,
    });
  }

  /** Starts connecting in the background; returns at once (use waitForConnect() to wait). */
  async start(): Promise<void> {
    validateBrokerUrl(this.#options.url);
    if (this.#options.caFile !== undefined) this.#ca = await readCaFile(this.#options.caFile);
    this.#trying = this.#options.protocol === 4 ? 4 : 5;
    this.#ctx.logger.debug(`MQTT connecting to ${this.#options.url} as ${this.#clientId}`);
    this.#createClient();
  }

  /** Publishes `offline` (a clean disconnect sends no last will), then disconnects. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    if (client.connected) {
      const goodbye = async (): Promise<void> => {
        await client.publishAsync(this.#stateTopic, "offline", { qos: this.#options.qos, retain: true });
        await client.endAsync();
      };
      // A broker that vanishes during the goodbye must not hang the shutdown.
      await settleWithin(
        this.#ctx.clock,
        STOP_GRACE_MS,
        goodbye().catch(() => undefined),
      );
    }
    // Forced end clears the reconnect timer; its callback never fires when the socket is already gone.
    client.end(true);
    if (this.#queue.size > 0) this.#ctx.logger.warn(`MQTT stopped with ${this.#queue.size} unsent messages`);
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** True when the current (or last) session is MQTT 5, so message expiry is honoured. */
  get supportsMessageExpiry(): boolean {
    return this.#version === 5;
  }

  get stats(): MqttConnectionStats {
    return {
      queued: this.#queue.size,
      dropped: this.#queue.droppedTotal,
      protocolVersion: this.#version,
      clientId: this.#clientId,
    };
  }

  /**
   * Resolves when everything handed to mqtt.js so far was acknowledged (QoS ≥ 1) or written (QoS 0);
   * messages still in the offline queue are not waited for.
   */
  async whenDelivered(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  /** Resolves on the next successful connect, or at once when connected. */
  waitForConnect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** A round trip through the broker (round-trip.ts), on `<state topic>/sync`. */
  async sync(limitMs = SYNC_LIMIT_MS): Promise<void> {
    if (!this.connected) return;
    const token = `${this.#clientId} ${++this.#syncs}`;
    const how = { topic: `${this.#stateTopic}/sync`, token, qos: this.#options.qos, limitMs };
    await roundTrip(this, this.#ctx.clock, how);
  }

  onConnect(listener: () => void): () => void {
    this.#connectListeners.add(listener);
    return () => this.#connectListeners.delete(listener);
  }

  /**
   * Connected: handed to mqtt.js at once (QoS ≥ 1 stays in its store until acknowledged, across
   * reconnects). Disconnected: kept in the bounded offline queue and sent, oldest first, on reconnect.
   */
  async publish(topic: string, payload: string | Buffer, options: MqttPublishOptions = {}): Promise<void> {
    if (this.#stopped) throw new BmsError("NOT_OPEN", "MQTT connection is stopped", { topic });
    const client = this.#client;
    if (client?.connected) {
      this.#send(client, { topic, payload, options, queuedAt: this.#ctx.clock.now() });
      return;
    }
    const dropped = this.#queue.push({ topic, payload, options, queuedAt: this.#ctx.clock.now() });
    if (dropped && this.#queue.droppedTotal === 1) {
      this.#ctx.logger.warn(`MQTT offline queue full (${this.#queue.limit} messages): dropping the oldest`);
    }
  }

  subscribe(topicFilter: string, handler: MqttMessageHandler): Promise<() => Promise<void>> {
    return this.#subscriptions.subscribe(topicFilter, handler);
  }

  get #stateTopic(): string {
    return this.#options.stateTopic ?? bridgeStateTopic(this.#options.prefix);
  }

  #createClient(): void {
    const opts = clientOptions(this.#options, this.#clientId, this.#trying, this.#ca, this.#stateTopic);
    const client = createMqttClient(new URL(this.#options.url), opts);
    this.#client = client;
    client.on("connect", (packet) => this.#onConnect(client, packet.returnCode ?? packet.reasonCode ?? 0));
    client.on("error", (error) => this.#onError(client, error));
    client.on("close", () => this.#onClose(client));
    client.on("reconnect", () => this.#onReconnect(client));
    client.on("message", (topic, payload, packet) => this.#subscriptions.dispatch(topic, payload, packet));
  }

  #onConnect(client: MqttClient, rc: number): void {
    if (client !== this.#client) return;
    this.#version = this.#trying;
    this.#wasConnected = true;
    this.#attemptFailed = false;
    client.options.reconnectPeriod = this.#problems.cleared();
    // The original Python bridge's line, kept verbatim for log scrapers.
    this.#ctx.logger.info(`MQTT connected (rc=${rc})`, {
      url: this.#options.url,
      client_id: this.#clientId,
      protocol: this.#version === 5 ? "5" : "3.1.1",
    });
    this.#send(client, {
      topic: this.#stateTopic,
      payload: "online",
      options: { qos: this.#options.qos, retain: true },
      queuedAt: this.#ctx.clock.now(),
    });
    this.#flushQueue(client);
    this.#subscriptions.resubscribe(client);
    for (const resolve of this.#waiters.splice(0)) resolve();
    for (const listener of [...this.#connectListeners]) listener();
  }

  #flushQueue(client: MqttClient): void {
    const { items, dropped } = this.#queue.drain();
    if (dropped > 0) {
      this.#ctx.logger.warn(
        `MQTT dropped the ${dropped} oldest messages while offline (queue limit ${this.#queue.limit})`,
      );
    }
    let expired = 0;
    for (const item of items) if (!this.#send(client, item)) expired += 1;
    if (items.length > 0)
      this.#ctx.logger.debug(`MQTT sent ${items.length - expired} queued messages (${expired} expired)`);
  }

  /** Hands one message to mqtt.js; false when its message expiry ran out while it waited. */
  #send(client: MqttClient, item: QueuedPublish): boolean {
    const { qos = 0, retain = false } = item.options;
    const publishOptions: IClientPublishOptions = { qos, retain };
    const expiry = remainingExpiry(item, this.#ctx.clock.now());
    if (expiry === 0) return false;
    if (expiry !== undefined && this.#version === 5)
      publishOptions.properties = { messageExpiryInterval: expiry };
    const done = new Promise<void>((resolve) => {
      client.publish(item.topic, item.payload, publishOptions, (error) => {
        if (error && !this.#stopped)
          this.#ctx.logger.debug(`MQTT publish to ${item.topic} not confirmed: ${error.message}`);
        resolve();
      });
    });
    this.#inFlight.add(done);
    void done.then(() => this.#inFlight.delete(done));
    return true;
  }

  #onError(client: MqttClient, error: Error & { code?: unknown }): void {
    if (client !== this.#client) return;
    this.#attemptFailed = true;
    if (this.#wasConnected) {
      // The close that follows reports it, with this reason.
      this.#lastError = error.message;
      return;
    }
    const refusedV5 = typeof error.code === "number" && UNSUPPORTED_PROTOCOL_CODES.has(error.code);
    if (this.#options.protocol === "auto" && this.#trying === 5 && refusedV5) {
      this.#fallBackToV311(client);
      return;
    }
    this.#problems.report(describeConnectError(error, this.#options.url));
  }

  #fallBackToV311(client: MqttClient): void {
    this.#ctx.logger.info(
      `MQTT broker at ${this.#options.url} does not accept MQTT 5: using MQTT 3.1.1 from now on`,
    );
    this.#trying = 4;
    this.#client = undefined;
    client.end(true);
    this.#createClient();
  }

  #onClose(client: MqttClient): void {
    if (client !== this.#client || this.#stopped) return;
    if (this.#wasConnected) {
      this.#wasConnected = false;
      this.#problems.report(`connection lost (${this.#lastError ?? "closed by the broker"})`);
      this.#lastError = undefined;
      this.#attemptFailed = false;
      return;
    }
    // Closed with no error and no CONNACK: typically plaintext MQTT sent to a TLS port.
    if (!this.#attemptFailed) this.#problems.report(closedBeforeAnswer(this.#options.url));
    this.#attemptFailed = false;
  }

  /** mqtt.js re-arms its reconnect timer from this value after each failed attempt: exponential back-off. */
  #onReconnect(client: MqttClient): void {
    const periodMs = this.#problems.nextPeriodMs();
    client.options.reconnectPeriod = periodMs;
    this.#ctx.logger.debug(`MQTT reconnecting (next attempt in ${periodMs} ms if this one fails)`);
  }
}

/**
 * The one way features publish state that a late subscriber must find: retained, at the configured QoS
 * (`mqtt.qos`), with an MQTT 5 message expiry for values that go stale. Publishing never rejects: a failure
 * is logged and, for `publishChanged`, forgotten so the next call sends again.
 */
import type { Logger } from "../../log/logger.js";
import type { Clock } from "../../util/clock.js";
import type { MqttPort } from "./port.js";

export interface RetainedTopicsOptions {
  /** The configured `mqtt.qos`. */
  qos: 0 | 1 | 2;
  /**
   * MQTT 5 expiry (s) of a value counted from the time it was read (`publish(…, valueTime)`); null = none.
   * Ignored on MQTT 3.1.1 sessions.
   */
  messageExpiryS?: number | null;
  /** False publishes without the retain flag (and clears nothing); default true. */
  retain?: boolean;
}

export class RetainedTopics {
  readonly #ctx: { mqtt: MqttPort; clock: Clock; logger: Logger };
  readonly #qos: 0 | 1 | 2;
  readonly #expiryS: number | null;
  readonly #retain: boolean;
  /** Last payload per topic sent by publishChanged. */
  readonly #sent = new Map<string, string>();

  constructor(ctx: { mqtt: MqttPort; clock: Clock; logger: Logger }, options: RetainedTopicsOptions) {
    this.#ctx = ctx;
    this.#qos = options.qos;
    this.#expiryS = options.messageExpiryS ?? null;
    this.#retain = options.retain ?? true;
  }

  /**
   * Publishes `payload` on `topic`. With `valueTime` (when the value was read, ms) it expires
   * `messageExpiryS` after that time, so a value republished late does not outlive it.
   */
  async publish(topic: string, payload: string, valueTime?: number): Promise<void> {
    const expiry = valueTime === undefined ? undefined : this.expiryFor(valueTime);
    await this.#send(topic, payload, this.#retain, expiry);
  }

  /** Publishes only when `payload` differs from what this helper last sent there. */
  async publishChanged(topic: string, payload: string): Promise<void> {
    if (this.#sent.get(topic) === payload) return;
    this.#sent.set(topic, payload);
    if (!(await this.#send(topic, payload, this.#retain, undefined))) this.#sent.delete(topic);
  }

  /** Deletes the retained value: an empty retained payload ([MQTT-3.3.1-10]). */
  async clear(topic: string): Promise<void> {
    if (!this.#retain) return;
    this.#sent.delete(topic);
    await this.#send(topic, "", true, undefined);
  }

  /** Forgets what publishChanged sent (after a reconnect: a broker without persistence lost it). */
  forget(): void {
    this.#sent.clear();
  }

  /** What publishChanged last sent to `topic` (to tell its own echo from another publisher's value). */
  lastSent(topic: string): string | undefined {
    return this.#sent.get(topic);
  }

  /** Seconds a value read at `valueTime` has left (at least 1); undefined = no expiry. */
  expiryFor(valueTime: number): number | undefined {
    if (this.#expiryS === null || !this.#ctx.mqtt.supportsMessageExpiry) return undefined;
    const ageS = Math.max(0, (this.#ctx.clock.now() - valueTime) / 1000);
    return Math.max(1, Math.ceil(this.#expiryS - ageS));
  }

  /** Whether a value read at `valueTime` has not expired yet (always, without an expiry). */
  isFresh(valueTime: number): boolean {
    return this.#expiryS === null || this.#ctx.clock.now() - valueTime < this.#expiryS * 1000;
  }

  async #send(topic: string, payload: string, retain: boolean, expiry: number | undefined): Promise<boolean> {
    try {
      await this.#ctx.mqtt.publish(topic, payload, {
        qos: this.#qos,
        retain,
        ...(expiry !== undefined && { messageExpirySeconds: expiry }),
      });
      return true;
    } catch (error) {
      this.#ctx.logger.warn(
        `cannot publish ${topic}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return false;
    }
  }
}

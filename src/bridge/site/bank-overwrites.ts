/**
 * The bank publisher's answer to a bank value another bridge wrote: two bridges that start in the same
 * instant can both elect themselves for a moment, each publishing its partial bank (docs/mqtt.md "Who
 * publishes the bank"), and a value sent only when it changes (RetainedTopics.publishChanged) would keep
 * the other's until it changed. So the publisher watches the topics it publishes that way, and a payload that
 * is not what it last sent there makes it forget what it sent: the next bank window sends every value
 * again. Watched only while it publishes the bank and once another bridge is known (view.knowsOtherBridges):
 * alone, every message would be its own echo (docs/performance.md). Used by the bank view (`<prefix>/bank/<field>`) and the bank energy
 * total (`<prefix>/bank/energy/<field>`).
 */
import type { Logger } from "../../log/logger.js";
import type { MqttPort } from "../mqtt/port.js";
import type { RetainedTopics } from "../mqtt/retained.js";
import type { BridgeState } from "../state/bridge-state.js";

export class BankOverwrites {
  readonly #deps: { mqtt: MqttPort; logger: Logger; state: BridgeState };
  readonly #filter: string;
  readonly #topics: RetainedTopics;
  #watching: Promise<() => Promise<void>> | undefined;
  #closed = false;

  constructor(
    deps: { mqtt: MqttPort; logger: Logger; state: BridgeState },
    filter: string,
    topics: RetainedTopics,
  ) {
    this.#deps = deps;
    this.#filter = filter;
    this.#topics = topics;
  }

  /** With each bank this bridge publishes: subscribes once another bridge is known. */
  follow(): void {
    if (this.#watching !== undefined || this.#closed || !this.#deps.state.site.knowsOtherBridges) return;
    this.#watching = this.#deps.mqtt.subscribe(this.#filter, (topic, payload) => this.#heard(topic, payload));
    this.#watching = this.#watching.catch((error: unknown) => {
      this.#deps.logger.warn(`cannot subscribe to ${this.#filter}: ${String(error)}`);
      this.#watching = undefined; // the next bank window tries again
      return async () => {};
    });
  }

  /** The bank role lost (another bridge publishes: its values are no concern here) or a stop. */
  async drop(): Promise<void> {
    const watched = this.#watching;
    this.#watching = undefined;
    if (watched !== undefined) await (await watched)();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.drop();
  }

  /** Its own echo matches what it last sent; a topic it does not send only when changed (none) is left. */
  #heard(topic: string, payload: Buffer): void {
    const sent = this.#topics.lastSent(topic);
    if (this.#deps.state.bank.publisher && sent !== undefined && sent !== payload.toString())
      this.#topics.forget();
  }
}

/**
 * Telemetry topic sets (topic-sets.ts) published retained, remembering per key (a battery id, or "" for the
 * plain topics) which topics hold a value now, so that a value gone missing (a battery without an NTC
 * stops having a `temperature`), a battery going offline or a clean stop clears exactly those
 * (docs/mqtt.md "Availability and stale values").
 */
import type { RetainedTopics } from "../mqtt/retained.js";
import type { TopicSet } from "./topic-sets.js";

export class TelemetrySets {
  readonly #topics: RetainedTopics;
  /**
   * Topics published with a value and not cleared since, per key. Without retain they hold nothing on the
   * broker, and clearing them sends nothing (RetainedTopics.clear).
   */
  readonly #retained = new Map<string, Set<string>>();

  constructor(topics: RetainedTopics) {
    this.#topics = topics;
  }

  /**
   * Publishes a set, expiring from `time` (when its values were read); a topic without a value is cleared
   * if it held one.
   */
  async send(topics: TopicSet, key: string, time: number): Promise<void> {
    const retained = this.#retainedOf(key);
    await Promise.all(
      topics.map(([topic, payload]) => {
        if (payload === undefined) {
          if (!retained.delete(topic)) return undefined;
          return this.#topics.clear(topic);
        }
        retained.add(topic);
        return this.#topics.publish(topic, payload, time);
      }),
    );
  }

  /** Clears every topic of `key` that holds a value. */
  async clearAll(key: string): Promise<void> {
    const retained = this.#retainedOf(key);
    const topics = [...retained];
    retained.clear();
    await Promise.all(topics.map((topic) => this.#topics.clear(topic)));
  }

  #retainedOf(key: string): Set<string> {
    let set = this.#retained.get(key);
    if (!set) {
      set = new Set();
      this.#retained.set(key, set);
    }
    return set;
  }
}

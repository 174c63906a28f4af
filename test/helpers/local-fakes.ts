/**
 * Minimal fakes for this part's tests, used until the shared ones (src/testing: FakeMqtt, a manual clock)
 * land on main. Kept deliberately small.
 */
import type { MqttMessageHandler, MqttPort, MqttPublishOptions } from "../../src/bridge/types.js";
import type { Clock, TimerHandle } from "../../src/util/clock.js";

export interface PublishedMessage {
  topic: string;
  payload: string;
  options: MqttPublishOptions;
}

/** Records publishes, keeps a retained store like a broker would, and delivers to matching subscribers. */
export class LocalFakeMqtt implements MqttPort {
  readonly published: PublishedMessage[] = [];
  readonly retained = new Map<string, string>();
  connected = true;
  supportsMessageExpiry = false;
  readonly #subs = new Set<{ filter: string; handler: MqttMessageHandler }>();
  readonly #connectListeners = new Set<() => void>();

  async publish(topic: string, payload: string | Buffer, options: MqttPublishOptions = {}): Promise<void> {
    const text = payload.toString();
    this.published.push({ topic, payload: text, options });
    if (options.retain) {
      if (text === "") this.retained.delete(topic);
      else this.retained.set(topic, text);
    }
    for (const sub of [...this.#subs])
      if (topicMatches(sub.filter, topic)) sub.handler(topic, Buffer.from(text));
  }

  async subscribe(filter: string, handler: MqttMessageHandler): Promise<() => Promise<void>> {
    const sub = { filter, handler };
    this.#subs.add(sub);
    // A broker sends the retained messages matching a new subscription right away.
    for (const [topic, text] of this.retained)
      if (topicMatches(filter, topic)) handler(topic, Buffer.from(text));
    return async () => {
      this.#subs.delete(sub);
    };
  }

  onConnect(listener: () => void): () => void {
    this.#connectListeners.add(listener);
    return () => this.#connectListeners.delete(listener);
  }

  /** Simulates a reconnect. */
  reconnect(): void {
    for (const l of [...this.#connectListeners]) l();
  }

  /** Injects a message from another client. */
  inject(topic: string, payload: string, retain = false): void {
    if (retain) this.retained.set(topic, payload);
    for (const sub of [...this.#subs])
      if (topicMatches(sub.filter, topic)) sub.handler(topic, Buffer.from(payload));
  }

  get subscriptionCount(): number {
    return this.#subs.size;
  }

  last(topic: string): string | undefined {
    return this.published.filter((m) => m.topic === topic).at(-1)?.payload;
  }
}

export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A clock driven by the test: `advance(ms)` runs due timers in order. */
export class ManualClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return { id } as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as { id: number }).id);
  }

  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = end;
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }
}

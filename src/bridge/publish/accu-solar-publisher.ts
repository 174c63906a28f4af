/**
 * The Accu-Solar publisher: listens on the EventBus and keeps the retained `<prefix>/…` topic tree true.
 * - every reading → the battery's `<prefix>/battery/<id>/…` set, then the plain topics (that battery, or the
 *   bank of all online batteries), then `<prefix>/system/health` (the worst health). With several batteries
 *   and a `bankWindowMs`, the bank is recomputed once per window after the first reading that changed it
 *   (one complete set with every reading of the window) instead of on every reading: O(N) per poll round,
 *   not O(N²);
 * - availability → `<prefix>/battery/<id>/availability`; going offline clears that battery's retained
 *   telemetry (Accu-Solar has no stale detection, accu-solar-client §1) and recomputes the plain topics at
 *   once (a pending bank window is dropped: this recomputation includes its readings);
 * - every MQTT (re)connect → republish the current state (a broker without persistence forgets it).
 * Publishes are serialised so a clear can never overtake the values it clears.
 */
import type { Logger } from "../../log/logger.js";
import type { Clock } from "../../util/clock.js";
import { type Coalescer, createCoalescer } from "../../util/coalesce.js";
import type { EventBus } from "../event-bus.js";
import type { MqttPort } from "../mqtt/port.js";
import { availabilityTopic, DEFAULT_TOPIC_PREFIX, validateTopicPrefix } from "../mqtt/topics.js";
import { aggregateBank, type BankMember } from "../state/bank.js";
import type { AvailabilityChange, BatteryReading, BridgeFeature } from "../types.js";
import { type Health, publishLogLine, type Telemetry, telemetryFromReading, worstHealth } from "./format.js";
import { type PayloadSet, type PlainSource, plainSet, type TopicSet, telemetrySet } from "./topic-sets.js";

/** Publisher settings; config keys are the snake_case forms (`topic_prefix`, `clear_on_offline`, …). */
export interface PublisherOptions {
  /** Topic prefix (`MQTT_TOPIC_PREFIX`); default "accusolar". */
  prefix: string;
  /** QoS for every publish; default 1 (the seed's QoS 0 lost messages silently, seed bug 8). */
  qos: 0 | 1 | 2;
  /** Retain telemetry; default true (Accu-Solar reads only what is retained when it connects). */
  retain: boolean;
  /** Clear a battery's retained telemetry when it goes offline; default true. */
  clearOnOffline: boolean;
  /** MQTT 5 message expiry for telemetry (s); null = none. Ignored on MQTT 3.1.1 sessions. */
  messageExpiryS: number | null;
  /** Configured battery ids in battery order. Absent: learned from the events (bank order = first seen). */
  batteryIds?: readonly string[];
  /**
   * With several batteries: recompute the bank at most once per this many ms after a reading (0 = on every
   * reading). Single-battery mode always publishes the plain topics with the reading.
   */
  bankWindowMs: number;
}

export const DEFAULT_PUBLISHER_OPTIONS: PublisherOptions = {
  prefix: DEFAULT_TOPIC_PREFIX,
  qos: 1,
  retain: true,
  clearOnOffline: true,
  messageExpiryS: 60,
  bankWindowMs: 0,
};

/** Expiry long enough to survive a few missed polls: max(60 s, 6 × poll interval). */
export function defaultMessageExpiryS(pollIntervalS: number): number {
  return Math.max(60, Math.ceil(6 * pollIntervalS));
}

export interface PublisherContext {
  bus: EventBus;
  mqtt: MqttPort;
  logger: Logger;
  clock: Clock;
}

interface BatteryState {
  online: boolean;
  reading?: BatteryReading;
  telemetry?: Telemetry;
  health?: Health;
  model?: string;
  /** Telemetry topics currently holding a retained value, so going offline can clear them. */
  retained: Set<string>;
}

type Member = BankMember & { state: BatteryState; reading: BatteryReading };

export class AccuSolarPublisher implements BridgeFeature {
  readonly name = "accu-solar-publisher";
  readonly #ctx: PublisherContext;
  readonly #options: PublisherOptions;
  readonly #batteries = new Map<string, BatteryState>();
  readonly #plainRetained = new Set<string>();
  readonly #unsubscribe: Array<() => void> = [];
  #work: Promise<void> = Promise.resolve();
  #bankSeq = 0;
  readonly #bank: Coalescer;
  #stopped = false;

  constructor(ctx: PublisherContext, options: Partial<PublisherOptions> = {}) {
    this.#ctx = ctx;
    this.#options = { ...DEFAULT_PUBLISHER_OPTIONS, ...options };
    this.#bank = createCoalescer(ctx.clock, this.#options.bankWindowMs, () =>
      this.#enqueue(() => this.#sendPlain()),
    );
  }

  async start(): Promise<void> {
    validateTopicPrefix(this.#options.prefix);
    for (const id of this.#options.batteryIds ?? []) this.#state(id);
    const { bus, mqtt } = this.#ctx;
    this.#unsubscribe.push(
      bus.on("reading", (r) => this.#enqueue(() => this.#onReading(r))),
      bus.on("availability", (a) => this.#enqueue(() => this.#onAvailability(a))),
      bus.on("deviceInfo", (info) => {
        if (info.model !== undefined) this.#state(info.batteryId).model = info.model;
      }),
      mqtt.onConnect(() => this.#enqueue(() => this.#republish())),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    // Nothing is published after stop: an open bank window is dropped, and readings still queued publish
    // their own sets but open no new one.
    this.#stopped = true;
    this.#bank.cancel();
    await this.whenIdle();
  }

  /** Resolves when every publish triggered so far has been handed to the MqttPort. */
  whenIdle(): Promise<void> {
    return this.#work;
  }

  #enqueue(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch((error: unknown) => {
      this.#ctx.logger.warn(`publish failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  #state(batteryId: string): BatteryState {
    let state = this.#batteries.get(batteryId);
    if (!state) {
      state = { online: false, retained: new Set() };
      this.#batteries.set(batteryId, state);
    }
    return state;
  }

  get #severalBatteries(): boolean {
    return (this.#options.batteryIds?.length ?? this.#batteries.size) > 1;
  }

  get #coalescesBank(): boolean {
    return this.#options.bankWindowMs > 0 && this.#severalBatteries;
  }

  async #onReading(reading: BatteryReading): Promise<void> {
    const state = this.#state(reading.batteryId);
    const withModel =
      reading.model === undefined && state.model !== undefined ? { ...reading, model: state.model } : reading;
    const telemetry = telemetryFromReading(withModel);
    const set = telemetrySet(this.#options.prefix, withModel, telemetry);
    Object.assign(state, { online: true, reading: withModel, telemetry, health: set.health });
    const pending = [this.#sendSet(set.topics, state.retained, reading.time)];
    if (this.#coalescesBank) {
      if (!this.#stopped) this.#bank.schedule();
    } else pending.push(this.#sendPlain());
    await Promise.all(pending);
    this.#ctx.logger.info(publishLogLine(telemetry, this.#severalBatteries ? reading.batteryId : undefined));
  }

  async #onAvailability(change: AvailabilityChange): Promise<void> {
    const state = this.#state(change.batteryId);
    const pending = [
      this.#send(availabilityTopic(this.#options.prefix, change.batteryId), change.state, false),
    ];
    state.online = change.state === "online";
    if (change.state === "offline") {
      this.#ctx.logger.info(`[${change.batteryId}] offline (${change.reason})`);
      if (this.#options.clearOnOffline) {
        pending.push(...[...state.retained].map((topic) => this.#clear(topic, state.retained)));
        delete state.reading;
        delete state.telemetry;
        delete state.health;
      }
      this.#bank.cancel();
      pending.push(this.#sendPlain());
    }
    await Promise.all(pending);
  }

  /** The members that count: online, with a (fresh, when republishing) reading, in battery order. */
  #members(freshOnly: boolean): Member[] {
    const members: Member[] = [];
    for (const [batteryId, state] of this.#batteries) {
      const { reading, telemetry } = state;
      if (!state.online || !reading || !telemetry || (freshOnly && !this.#isFresh(reading.time))) continue;
      members.push({ batteryId, telemetry, time: reading.time, state, reading });
    }
    return members;
  }

  /** Plain topics: the single battery, or the bank; cleared when nothing contributes. */
  async #sendPlain(freshOnly = false): Promise<void> {
    const members = this.#members(freshOnly);
    const health = worstHealth(
      members.flatMap((m) => (m.state.health === undefined ? [] : [m.state.health])),
    );
    const source = this.#plainSource(members, health);
    if (source === undefined) {
      if (!this.#options.clearOnOffline) return;
      await Promise.all([...this.#plainRetained].map((t) => this.#clear(t, this.#plainRetained)));
      return;
    }
    const time = source.kind === "single" ? source.reading.time : source.bank.time;
    await this.#sendSet(plainSet(this.#options.prefix, source), this.#plainRetained, time);
  }

  #plainSource(members: Member[], health: Health | undefined): PlainSource | undefined {
    if (!this.#severalBatteries) {
      const only = members[0];
      return only && { kind: "single", reading: only.reading, telemetry: only.telemetry, health };
    }
    const bank = aggregateBank(members, this.#options.batteryIds?.length ?? this.#batteries.size);
    if (bank === undefined) return undefined;
    this.#bankSeq += 1;
    return { kind: "bank", bank, health, seq: this.#bankSeq };
  }

  async #sendSet(topics: TopicSet, retained: Set<string>, time: number): Promise<void> {
    await Promise.all(
      topics.map(([topic, payload]: PayloadSet) =>
        payload === undefined
          ? this.#clear(topic, retained)
          : this.#sendTelemetry(topic, payload, retained, time),
      ),
    );
  }

  async #sendTelemetry(topic: string, payload: string, retained: Set<string>, time: number): Promise<void> {
    if (this.#options.retain) retained.add(topic);
    await this.#send(topic, payload, true, time);
  }

  async #clear(topic: string, retained: Set<string>): Promise<void> {
    if (!retained.delete(topic) || !this.#options.retain) return;
    // An empty retained payload deletes the retained value ([MQTT-3.3.1-10]).
    await this.#ctx.mqtt.publish(topic, "", { qos: this.#options.qos, retain: true });
  }

  async #send(
    topic: string,
    payload: string,
    telemetry: boolean,
    time = this.#ctx.clock.now(),
  ): Promise<void> {
    const { qos, retain } = this.#options;
    const expiry = telemetry ? this.#expiryFor(time) : undefined;
    await this.#ctx.mqtt.publish(topic, payload, {
      qos,
      retain: telemetry ? retain : true,
      ...(expiry === undefined ? {} : { messageExpirySeconds: expiry }),
    });
  }

  /** Remaining lifetime of a value read at `time`, so a republished old value does not outlive its expiry. */
  #expiryFor(time: number): number | undefined {
    const { messageExpiryS } = this.#options;
    if (messageExpiryS === null || !this.#ctx.mqtt.supportsMessageExpiry) return undefined;
    const ageS = Math.max(0, (this.#ctx.clock.now() - time) / 1000);
    return Math.max(1, Math.ceil(messageExpiryS - ageS));
  }

  #isFresh(time: number): boolean {
    const { messageExpiryS } = this.#options;
    return messageExpiryS === null || this.#ctx.clock.now() - time < messageExpiryS * 1000;
  }

  async #republish(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const [batteryId, s] of this.#batteries) {
      if (s.reading === undefined && !s.online) continue;
      pending.push(
        this.#send(
          availabilityTopic(this.#options.prefix, batteryId),
          s.online ? "online" : "offline",
          false,
        ),
      );
      if (s.online && s.reading && s.telemetry && this.#isFresh(s.reading.time)) {
        const set = telemetrySet(this.#options.prefix, s.reading, s.telemetry);
        pending.push(this.#sendSet(set.topics, s.retained, s.reading.time));
      }
    }
    this.#bank.cancel();
    pending.push(this.#sendPlain(true));
    await Promise.all(pending);
    this.#ctx.logger.debug("republished the retained state after connect");
  }
}

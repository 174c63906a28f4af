/**
 * The Accu-Solar publisher: keeps the retained `<prefix>/…` topic tree true, reading the shared battery
 * state (state/battery-store.ts) and the one bank (state/bank-tracker.ts).
 * - every reading → the battery's `<prefix>/battery/<id>/…` set; with one battery the plain topics carry it
 *   too, with several they carry the bank, published on every `bank` event (once per window, at once when
 *   a battery goes offline);
 * - availability → `<prefix>/battery/<id>/availability`; going offline clears that battery's retained
 *   telemetry (Accu-Solar has no stale detection: docs/mqtt.md "Availability and stale values");
 * - every MQTT (re)connect → republish the current state (a broker without persistence forgets it), leaving
 *   out values whose expiry has passed;
 * - on a site of several bridges the plain topics are the elected bridge's only (state/bank-tracker.ts);
 * - a clean stop clears this bridge's batteries' telemetry and says them `offline`, and clears the plain
 *   topics when no other bridge will publish them (docs/mqtt.md "Availability and stale values").
 * Each battery's and the bank's values are formatted once (format.ts). Publishes are serialised so a clear
 * can never overtake the values it clears.
 */

import { CONFIG_DEFAULTS } from "../../config/defaults.js";
import type { Logger } from "../../log/logger.js";
import type { Clock } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import type { MqttPort } from "../mqtt/port.js";
import { RetainedTopics } from "../mqtt/retained.js";
import { availabilityTopic, DEFAULT_TOPIC_PREFIX, validateTopicPrefix } from "../mqtt/topics.js";
import type { BankUpdate } from "../state/bank-tracker.js";
import type { BatteryValues } from "../state/battery-values.js";
import type { BridgeState } from "../state/bridge-state.js";
import type { AvailabilityChange, AvailabilityState, BatteryReading, BridgeFeature } from "../types.js";
import { formatValues, publishLogLine } from "./format.js";
import { plainBankValues } from "./status-json.js";
import { TelemetrySets } from "./telemetry-sets.js";
import { batterySet, type PlainSource, plainSet } from "./topic-sets.js";

/** Publisher settings; config keys are the snake_case forms (`topic_prefix`, `qos`). */
export interface PublisherOptions {
  /** Topic prefix (`MQTT_TOPIC_PREFIX`). */
  prefix: string;
  /** The configured `mqtt.qos` (the Python bridge's QoS 0 lost messages silently). */
  qos: 0 | 1 | 2;
  /** Retain telemetry (Accu-Solar reads only what is retained when it connects). */
  retain: boolean;
  /** Clear a battery's retained telemetry when it goes offline. */
  clearOnOffline: boolean;
  /**
   * MQTT 5 message expiry (s) for telemetry and for a battery's `online` (re-published with each reading,
   * so a bridge that dies leaves nothing saying live or online); null = none. Ignored on MQTT 3.1.1.
   */
  messageExpiryS: number | null;
  /** This bridge on the site: the `bridge` key of each battery's status (who reads it). */
  bridgeId?: string;
}

export const DEFAULT_PUBLISHER_OPTIONS: PublisherOptions = {
  prefix: DEFAULT_TOPIC_PREFIX,
  qos: CONFIG_DEFAULTS.mqtt.qos,
  retain: true,
  clearOnOffline: true,
  messageExpiryS: 60,
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
  state: BridgeState;
}

/** A reading and its values as they were when it arrived (the store may hold a newer one by publish time). */
interface Snapshot {
  reading: BatteryReading;
  values: BatteryValues;
}

export class AccuSolarPublisher implements BridgeFeature {
  readonly name = "accu-solar-publisher";
  readonly #ctx: PublisherContext;
  readonly #options: PublisherOptions;
  /** Telemetry: retained (or not), expiring. */
  readonly #telemetry: RetainedTopics;
  /** Availability `offline`: always retained, never expiring. */
  readonly #availability: RetainedTopics;
  /** Availability `online`: always retained, expiring like telemetry. */
  readonly #online: RetainedTopics;
  /** Telemetry sets per battery id and for the plain topics (""), which know what they hold to clear it. */
  readonly #sets: TelemetrySets;
  readonly #unsubscribe: Array<() => void> = [];
  #work: Promise<void> = Promise.resolve();
  /** Batteries whose `online` went out with their availability change, before the reading that proves it. */
  readonly #justOnline = new Set<string>();
  #bankSeq = 0;

  constructor(ctx: PublisherContext, options: Partial<PublisherOptions> = {}) {
    this.#ctx = ctx;
    this.#options = { ...DEFAULT_PUBLISHER_OPTIONS, ...options };
    const { qos, retain, messageExpiryS } = this.#options;
    this.#telemetry = new RetainedTopics(ctx, { qos, retain, messageExpiryS });
    this.#sets = new TelemetrySets(this.#telemetry);
    this.#availability = new RetainedTopics(ctx, { qos });
    this.#online = new RetainedTopics(ctx, { qos, messageExpiryS });
  }

  async start(): Promise<void> {
    validateTopicPrefix(this.#options.prefix);
    const { bus, mqtt } = this.#ctx;
    this.#unsubscribe.push(
      bus.on("reading", (r) => {
        const snapshot = this.#snapshot(r.batteryId);
        if (snapshot) this.#enqueue(() => this.#onReading(snapshot));
      }),
      bus.on("availability", (a) => this.#enqueue(() => this.#onAvailability(a))),
      bus.on("bank", (update) => {
        if (this.#severalBatteries) this.#enqueue(() => this.#sendBank(update));
      }),
      bus.on("site", (change) => {
        // elected with one battery on the site: the plain topics are that battery (several: a bank event);
        // not elected, #republishPlain publishes nothing
        if (change.kind === "role" && !this.#severalBatteries)
          this.#enqueue(() => this.#republishPlain((time) => this.#telemetry.isFresh(time)));
      }),
      mqtt.onConnect(() => this.#enqueue(() => this.#republish())),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    await this.whenIdle();
    if (this.#ctx.mqtt.connected) await this.#goodbye();
  }

  /**
   * A clean stop: this bridge's batteries `offline`, their telemetry cleared, and the plain topics too when
   * this bridge published them and no other bridge takes over (it recomputes them when this one's state
   * goes `offline`). With clear_on_offline off, values stay as they would for an offline battery.
   */
  async #goodbye(): Promise<void> {
    const { prefix } = this.#options;
    // Stryker disable next-line ArrayDeclaration: Promise.all takes a non-promise item as resolved
    const pending: Array<Promise<void>> = [];
    for (const state of this.#ctx.state.store.all()) {
      if (state.availability === undefined) continue;
      pending.push(this.#availability.publish(availabilityTopic(prefix, state.batteryId), "offline"));
      if (this.#options.clearOnOffline) pending.push(this.#sets.clearAll(state.batteryId));
    }
    const { bank, site } = this.#ctx.state;
    // elected counts even before it had read the site: the previous publisher's plain topics are retained
    if (this.#options.clearOnOffline && (bank.publisher || site.bankPublisher) && !site.successorOnline)
      pending.push(this.#sets.clearAll(""));
    await Promise.all(pending);
  }

  get #publisher(): boolean {
    return this.#ctx.state.bank.publisher;
  }

  /** Resolves when every publish triggered so far (and by those) has been handed to the MqttPort. */
  async whenIdle(): Promise<void> {
    let work: Promise<void>;
    do {
      work = this.#work;
      await work;
    } while (work !== this.#work);
  }

  #enqueue(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch((error: unknown) => {
      this.#ctx.logger.warn(`publish failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  #snapshot(batteryId: string): Snapshot | undefined {
    const state = this.#ctx.state.store.get(batteryId);
    return state?.reading && state.values ? { reading: state.reading, values: state.values } : undefined;
  }

  /** Several batteries on the site (this bridge's and the others'): the plain topics carry the bank. */
  get #severalBatteries(): boolean {
    return this.#ctx.state.bank.siteSize > 1;
  }

  async #onReading({ reading, values }: Snapshot): Promise<void> {
    const formatted = formatValues(values);
    const { prefix } = this.#options;
    // Stryker disable next-line ArrayDeclaration: Promise.all takes a non-promise item as resolved
    const pending: Array<Promise<void>> = [];
    // with an expiry, `online` lives as long as the values: re-said with each reading, before them (not
    // by the reading that brought the battery online: its `online` just went out)
    if (!this.#justOnline.delete(reading.batteryId) && this.#online.expiryFor(reading.time) !== undefined)
      pending.push(
        this.#online.publish(availabilityTopic(prefix, reading.batteryId), "online", reading.time),
      );
    pending.push(
      this.#sets.send(
        batterySet(prefix, reading, values, formatted, this.#options.bridgeId),
        reading.batteryId,
        reading.time,
      ),
    );
    if (!this.#severalBatteries && this.#publisher)
      pending.push(this.#sendPlain({ kind: "single", reading, values, formatted }));
    await Promise.all(pending);
    const id = this.#severalBatteries ? reading.batteryId : undefined;
    this.#ctx.logger.info(publishLogLine(formatted, id));
  }

  async #onAvailability(change: AvailabilityChange): Promise<void> {
    if (change.state === "online") this.#justOnline.add(change.batteryId);
    else this.#justOnline.delete(change.batteryId);
    const pending = [this.#sendAvailability(change.batteryId, change.state, change.time)];
    if (change.state === "offline") {
      this.#ctx.logger.info(`[${change.batteryId}] offline (${change.reason})`);
      if (this.#options.clearOnOffline) {
        pending.push(this.#sets.clearAll(change.batteryId));
        // one battery: the plain topics are that battery (several: the bank event recomputes them)
        if (!this.#severalBatteries && this.#publisher) pending.push(this.#sets.clearAll(""));
      }
    }
    await Promise.all(pending);
  }

  /** `online` expires with the values it vouches for (MQTT 5); `offline` stays. */
  #sendAvailability(batteryId: string, state: AvailabilityState, time: number): Promise<void> {
    const topic = availabilityTopic(this.#options.prefix, batteryId);
    return state === "online"
      ? this.#online.publish(topic, state, time)
      : this.#availability.publish(topic, state);
  }

  async #sendBank(update: BankUpdate): Promise<void> {
    const { bank } = update;
    if (bank === undefined) {
      if (this.#options.clearOnOffline) await this.#sets.clearAll("");
      return;
    }
    this.#bankSeq += 1;
    const formatted = formatValues(plainBankValues(bank));
    await this.#sendPlain({
      // Stryker disable next-line StringLiteral: plainSet reads every kind but "single" as the bank (topic-sets.ts)
      kind: "bank",
      bank,
      formatted,
      seq: this.#bankSeq,
      bridgeId: this.#options.bridgeId,
    });
  }

  async #sendPlain(source: PlainSource): Promise<void> {
    const time = source.kind === "single" ? source.reading.time : source.bank.time;
    await this.#sets.send(plainSet(this.#options.prefix, source), "", time);
  }

  async #republish(): Promise<void> {
    const { prefix } = this.#options;
    const fresh = (time: number) => this.#telemetry.isFresh(time);
    // Stryker disable next-line ArrayDeclaration: Promise.all takes a non-promise item as resolved
    const pending: Array<Promise<void>> = [];
    for (const state of this.#ctx.state.store.all()) {
      if (state.availability === undefined) continue;
      const { reading, values } = state;
      const at = reading?.time ?? this.#ctx.clock.now();
      pending.push(this.#sendAvailability(state.batteryId, state.availability, at));
      if (state.availability !== "online" || !reading || !values || !fresh(reading.time)) continue;
      const formatted = formatValues(values);
      pending.push(
        this.#sets.send(
          batterySet(prefix, reading, values, formatted, this.#options.bridgeId),
          state.batteryId,
          reading.time,
        ),
      );
    }
    pending.push(this.#republishPlain(fresh));
    await Promise.all(pending);
    this.#ctx.logger.debug("republished the retained state after connect");
  }

  async #republishPlain(fresh: (time: number) => boolean): Promise<void> {
    if (!this.#publisher) return;
    if (this.#severalBatteries) {
      // an open window's bank goes out now, to every feature (its `bank` event publishes the plain set)
      if (this.#ctx.state.bank.pending) {
        this.#ctx.state.bank.flush();
        return;
      }
      await this.#sendBank(this.#ctx.state.bank.compute((member) => fresh(member.time)));
      return;
    }
    const online = this.#ctx.state.store.onlineMembers((member) => fresh(member.time));
    const [snapshot] = [...online.keys()].map((id) => this.#snapshot(id));
    if (snapshot)
      await this.#sendPlain({ kind: "single", ...snapshot, formatted: formatValues(snapshot.values) });
    else if (this.#options.clearOnOffline) await this.#sets.clearAll("");
  }
}

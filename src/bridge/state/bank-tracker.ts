/**
 * Computes the bank once per window and tells every feature (`bank` on the EventBus): the Accu-Solar
 * publisher's plain topics, the bank view and the energy bank total all read the same result.
 *
 * After the first reading that changed it, the bank waits `windowMs` to collect the poll round's other
 * readings (one computation over N batteries per round, not N); a battery going offline recomputes it at
 * once (dropping the pending window, whose readings this computation includes). Attach it AFTER the
 * features: a feature's own handler of a reading or an outage then runs before the bank it changes.
 *
 * On a site of several bridges (src/bridge/site) the bank also counts the other bridges' batteries, each
 * once, and only the elected bridge computes and announces it: the others emit no `bank` event at all.
 */
import type { Clock } from "../../util/clock.js";
import { type Coalescer, createCoalescer } from "../../util/coalesce.js";
import type { EventBus } from "../event-bus.js";
import type { SiteView } from "../site/site-view.js";
import { type Bank, computeBank, DEFAULT_IDLE_CURRENT_A } from "./bank.js";
import type { BatteryStore } from "./battery-store.js";

/** The `bank` event: the bank of the online batteries, or undefined when none counts. */
export interface BankUpdate {
  bank: Bank | undefined;
  /** Batteries configured (or heard of, here or from the other bridges), counting or not. */
  configured: number;
  /** Clock time of the computation (ms). */
  time: number;
}

export interface BankTrackerOptions {
  /** 0 = on every reading. */
  windowMs: number;
  /** The window once other bridges' batteries count, when `windowMs` is 0 (one battery here). Default 200. */
  siteWindowMs?: number;
  idleCurrentA?: number;
}

export class BankTracker {
  readonly #bus: EventBus;
  readonly #clock: Clock;
  readonly #store: BatteryStore;
  readonly #site: SiteView;
  readonly #options: BankTrackerOptions;
  #window: Coalescer;
  #windowMsUsed = 0;
  readonly #off: Array<() => void> = [];

  constructor(
    ctx: { bus: EventBus; clock: Clock; store: BatteryStore; site: SiteView },
    options: BankTrackerOptions,
  ) {
    this.#bus = ctx.bus;
    this.#clock = ctx.clock;
    this.#store = ctx.store;
    this.#site = ctx.site;
    this.#options = options;
    this.#window = this.#coalescer();
  }

  /** One battery: nothing to collect, so the bank (that battery) goes out with its reading. */
  #coalescer(): Coalescer {
    this.#windowMsUsed = this.#windowMs();
    return createCoalescer(this.#clock, this.#windowMsUsed, () => this.#publish());
  }

  #windowMs(): number {
    if (this.#store.size > 1) return this.#options.windowMs;
    return this.#site.remoteIds().length > 0 ? (this.#options.siteWindowMs ?? 200) : 0;
  }

  /** Batteries of the site: this bridge's and the other bridges' (known, counting or not). */
  get siteSize(): number {
    return this.#store.size + this.#site.remoteIds().length;
  }

  /**
   * Whether this bridge publishes the bank (and the plain topics): always, for a bridge on its own; on a
   * site, once elected AND it has read the other bridges' batteries.
   */
  get publisher(): boolean {
    return this.#site.publishingBank;
  }

  #schedule(): void {
    if (!this.publisher) return;
    if (this.#windowMsUsed !== this.#windowMs()) {
      this.#window.cancel();
      this.#window = this.#coalescer();
    }
    this.#window.schedule();
  }

  #now(): void {
    this.#window.cancel();
    if (this.publisher) this.#publish();
  }

  /** True while a window is open (a bank computation is due). */
  get pending(): boolean {
    return this.#window.pending;
  }

  attach(): void {
    if (this.#off.length > 0) return;
    this.#window = this.#coalescer();
    this.#off.push(
      this.#bus.on("reading", () => this.#schedule()),
      this.#bus.on("availability", (change) => {
        // `online` comes just before the reading that proves it; that reading schedules the bank
        if (change.state === "offline") this.#now();
      }),
      this.#bus.on("site", (change) => {
        if (change.kind === "battery") this.#schedule();
        // a battery gone, or this bridge just elected: the bank at once (one battery: the publisher's plain set)
        else if (change.kind === "offline" || this.siteSize > 1) this.#now();
      }),
    );
  }

  /** Stops listening and drops a pending window: nothing is computed after the bridge stops. */
  detach(): void {
    for (const off of this.#off.splice(0)) off();
    this.#window.cancel();
  }

  /** Computes and publishes the bank now if a window is open (a reconnect wants the plain topics now). */
  flush(): void {
    if (!this.#window.pending) return;
    this.#window.cancel();
    this.#publish();
  }

  /**
   * Computes a bank over the online batteries `accept` admits, without publishing it (a republish after a
   * reconnect leaves out values older than their expiry).
   */
  compute(accept?: Parameters<BatteryStore["onlineMembers"]>[0]): BankUpdate {
    const members = this.#store.onlineMembers(accept);
    for (const [id, member] of this.#site.remoteMembers()) if (!members.has(id)) members.set(id, member);
    const known = [...this.#store.all().map((s) => s.batteryId), ...this.#site.remoteIds()];
    // = siteSize: the store holds every configured battery (battery-store.ts), so it lists them all
    const configured = known.length;
    const bank = computeBank(members, {
      configured,
      idleCurrentA: this.#options.idleCurrentA ?? DEFAULT_IDLE_CURRENT_A,
      offline: known.filter((id) => !members.has(id)),
    });
    return { bank, configured, time: this.#clock.now() };
  }

  #publish(): void {
    this.#bus.emit("bank", this.compute());
  }
}

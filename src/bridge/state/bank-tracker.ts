/**
 * Computes the bank once per window and tells every feature (`bank` on the EventBus): the Accu-Solar
 * publisher's plain topics, the bank view and the energy bank total all read the same result.
 *
 * After the first reading that changed it, the bank waits `windowMs` to collect the poll round's other
 * readings (one computation over N batteries per round, not N); a battery going offline recomputes it at
 * once (dropping the pending window, whose readings this computation includes). Attach it AFTER the
 * features: a feature's own handler of a reading or an outage then runs before the bank it changes.
 */
import type { Clock } from "../../util/clock.js";
import { type Coalescer, createCoalescer } from "../../util/coalesce.js";
import type { EventBus } from "../event-bus.js";
import { type Bank, computeBank, DEFAULT_IDLE_CURRENT_A } from "./bank.js";
import type { BatteryStore } from "./battery-store.js";

/** The `bank` event: the bank of the online batteries, or undefined when none counts. */
export interface BankUpdate {
  bank: Bank | undefined;
  /** Batteries configured (or heard of), counting or not. */
  configured: number;
  /** Clock time of the computation (ms). */
  time: number;
}

export interface BankTrackerOptions {
  /** 0 = on every reading. */
  windowMs: number;
  idleCurrentA?: number;
}

export class BankTracker {
  readonly #bus: EventBus;
  readonly #clock: Clock;
  readonly #store: BatteryStore;
  readonly #options: BankTrackerOptions;
  #window: Coalescer;
  readonly #off: Array<() => void> = [];
  #latest: BankUpdate | undefined;

  constructor(ctx: { bus: EventBus; clock: Clock; store: BatteryStore }, options: BankTrackerOptions) {
    this.#bus = ctx.bus;
    this.#clock = ctx.clock;
    this.#store = ctx.store;
    this.#options = options;
    this.#window = this.#coalescer();
  }

  /** One battery: nothing to collect, so the bank (that battery) goes out with its reading. */
  #coalescer(): Coalescer {
    const windowMs = this.#store.size > 1 ? this.#options.windowMs : 0;
    return createCoalescer(this.#clock, windowMs, () => this.#publish());
  }

  /** The last computation (undefined before the first). */
  get latest(): BankUpdate | undefined {
    return this.#latest;
  }

  /** True while a window is open (a bank computation is due). */
  get pending(): boolean {
    return this.#window.pending;
  }

  attach(): void {
    if (this.#off.length > 0) return;
    this.#window = this.#coalescer();
    this.#off.push(
      this.#bus.on("reading", () => this.#window.schedule()),
      this.#bus.on("availability", (change) => {
        // `online` comes just before the reading that proves it; that reading schedules the bank
        if (change.state !== "offline") return;
        this.#window.cancel();
        this.#publish();
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
    const bank = computeBank(this.#store.onlineMembers(accept), {
      configured: this.#store.size,
      idleCurrentA: this.#options.idleCurrentA ?? DEFAULT_IDLE_CURRENT_A,
    });
    return { bank, configured: this.#store.size, time: this.#clock.now() };
  }

  #publish(): void {
    this.#latest = this.compute();
    this.#bus.emit("bank", this.#latest);
  }
}

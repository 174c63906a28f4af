/**
 * A token bucket on the injected Clock: up to `burst` takes at once, then `perSecond` on average. What
 * a busy or misbehaving peer gets beyond that is refused, never queued, so it costs no memory.
 */
import type { Clock } from "./clock.js";

export class TokenBucket {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #perSecond: number;
  #tokens: number;
  #at: number;

  constructor(clock: Clock, burst: number, perSecond: number) {
    this.#clock = clock;
    this.#burst = burst;
    this.#perSecond = perSecond;
    this.#tokens = burst;
    this.#at = clock.now();
  }

  /** Takes one token; false when none is left (the caller drops the request). */
  take(): boolean {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

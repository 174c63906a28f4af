/**
 * What the MQTT connection tells the user about the broker, and how often it retries: each problem is
 * logged once as a warning (repeats only at debug level, so a broker that is down for hours floods nothing),
 * and the reconnect period doubles from the minimum to the maximum until the next successful connect.
 */
import type { Logger } from "../../log/logger.js";
import { doublingDelayMs } from "../../util/backoff.js";

export class ConnectionProblems {
  readonly #logger: Logger;
  readonly #minMs: number;
  readonly #maxMs: number;
  #problem: string | undefined;
  #failedAttempts = 0;

  constructor(logger: Logger, reconnect: { minMs: number; maxMs: number }) {
    this.#logger = logger;
    this.#minMs = reconnect.minMs;
    this.#maxMs = reconnect.maxMs;
  }

  /** Connected: the next problem is news again and the back-off starts over; returns the reconnect period. */
  cleared(): number {
    this.#problem = undefined;
    this.#failedAttempts = 0;
    return this.#minMs;
  }

  /** Another attempt begins; returns the period before the one after it, should this one fail. */
  nextPeriodMs(): number {
    this.#failedAttempts += 1;
    return doublingDelayMs(this.#failedAttempts + 1, this.#minMs, this.#maxMs);
  }

  /** Logs a problem once; repeats of the same problem are debug-only. */
  report(problem: string): void {
    if (problem === this.#problem) {
      this.#logger.debug(`MQTT still failing: ${problem}`);
      return;
    }
    this.#problem = problem;
    const max = this.#maxMs;
    const every = max >= 1000 ? `${Math.round(max / 1000)} s` : `${max} ms`;
    this.#logger.warn(`MQTT ${problem}; retrying with back-off (up to every ${every})`);
  }
}

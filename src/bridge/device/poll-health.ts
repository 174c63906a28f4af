/**
 * One battery's run of failures, its back-off, and what is logged about it. Logging rules: one line when
 * the battery first reads or reads again, one warning per back-off step while it fails (not one per poll),
 * and nothing above debug when our own BLE adapter is away (its supervisor logs that, once).
 */
import { type BmsError, failureCause } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { doublingDelayMs } from "../../util/backoff.js";
import { formatSeconds } from "./battery-availability.js";

/** undefined: neither read nor failed yet. */
type Health = "ok" | "failing" | undefined;

export interface PollHealthOptions {
  intervalMs: number;
  backoffMaxMs: number;
  /** "Battery <id> (<address>)", for log lines. */
  name: () => string;
  /** The battery id, for the warning's context. */
  batteryId: string;
}

/**
 * Our own adapter is away, not the battery: its supervisor logs that once and reopens it, so the battery
 * neither logs each failure nor backs off (it must be read again within an interval of the adapter's return).
 */
function isAdapterProblem(error: BmsError): boolean {
  return failureCause(error).cause === "adapter_lost";
}

export class PollHealth {
  readonly #log: Logger;
  readonly #options: PollHealthOptions;
  #health: Health;
  #failures = 0;
  /** Back-off steps: the battery's own failures since its last reading or its adapter's last absence. */
  #backoffSteps = 0;
  #lastError: BmsError | undefined;
  #lastLoggedDelayMs = 0;

  constructor(log: Logger, options: PollHealthOptions) {
    this.#log = log;
    this.#options = options;
  }

  /** Consecutive failed polls (0 after a good one). */
  get failures(): number {
    return this.#failures;
  }

  /** The last poll's error while failing; undefined after a good poll. */
  get lastError(): BmsError | undefined {
    return this.#lastError;
  }

  /** How long to wait before the next poll: the interval, or the back-off after failures. */
  nextDelayMs(): number {
    const { intervalMs, backoffMaxMs } = this.#options;
    // 0 steps (no failure since the last reading): the interval itself (src/util/backoff.ts)
    return doublingDelayMs(this.#backoffSteps, intervalMs, Math.max(intervalMs, backoffMaxMs));
  }

  succeeded(model: string | undefined): void {
    const name = this.#options.name();
    if (this.#health !== "ok") {
      this.#log.info(
        this.#health === "failing"
          ? `${name}: reading again after ${this.#failures} failed attempt(s)`
          : `${name}: connected${model ? ` (${model})` : ""}`,
      );
    }
    this.#health = "ok";
    this.#failures = 0;
    this.#backoffSteps = 0;
    this.#lastLoggedDelayMs = 0;
    this.#lastError = undefined;
  }

  failed(error: BmsError): void {
    this.#failures++;
    this.#lastError = error;
    // The adapter's return is a fresh start for its batteries: a first try that fails right after it
    // (the peer still holding the old link) waits one interval, not the back-off earned before the loss.
    this.#backoffSteps = isAdapterProblem(error) ? 0 : this.#backoffSteps + 1;
    const delay = this.nextDelayMs();
    const wasFailing = this.#health === "failing";
    this.#health = "failing";
    const name = this.#options.name();
    if (delay === this.#lastLoggedDelayMs || isAdapterProblem(error)) {
      this.#log.debug(() => `${name}: attempt ${this.#failures} failed: ${error.message}`);
      return;
    }
    this.#lastLoggedDelayMs = delay;
    const retry = `next try in ${formatSeconds(delay)}`;
    const { cause, label } = failureCause(error);
    const why = `${label}: ${error.message}`;
    this.#log.warn(
      wasFailing
        ? `${name}: still failing after ${this.#failures} attempts (${why}); ${retry}`
        : `${name}: read failed (${why}); ${retry}`,
      { code: error.code, cause, battery: this.#options.batteryId },
    );
  }
}

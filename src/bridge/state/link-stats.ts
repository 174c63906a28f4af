/**
 * One battery's link health, from its poll outcomes (the session's `poll` events): link quality is the
 * share of the last 100 polls that gave a valid reading (BMS_BLE-HA's measure, docs/background.md), next
 * to totals, reconnects, the last error and the RSSI. Counters start at 0 with each bridge process.
 */
import type { FailureCause } from "../../errors.js";
import type { PollOutcome } from "../types.js";

/** Polls the link quality is computed over. */
export const QUALITY_WINDOW = 100;

export interface LinkHealth {
  /** dBm, BLE only; absent when never known. */
  rssi?: number;
  rssi_at?: string;
  /** % of the last `polls` polls with a valid reading; absent before the first poll. */
  quality_pct?: number;
  /** How many polls the quality is over (≤ 100). */
  polls: number;
  reads_ok: number;
  reads_failed: number;
  reconnects: number;
  last_error?: { cause: FailureCause; code: string; message: string; at: string };
  last_valid_at?: string;
}

export class LinkStats {
  readonly #window: boolean[] = [];
  #okInWindow = 0;
  #readsOk = 0;
  #readsFailed = 0;
  #reconnects = 0;
  #rssi: { dbm: number; time: number } | undefined;
  #lastError: (PollOutcome["error"] & { time: number }) | undefined;
  #lastValidAt: number | undefined;

  record(outcome: PollOutcome): void {
    this.#window.push(outcome.ok);
    if (outcome.ok) this.#okInWindow++;
    if (this.#window.length > QUALITY_WINDOW && this.#window.shift()) this.#okInWindow--;
    if (outcome.ok) {
      this.#readsOk++;
      this.#lastValidAt = outcome.time;
    } else {
      this.#readsFailed++;
    }
    if (outcome.reconnected) this.#reconnects++;
    if (outcome.error) this.#lastError = { ...outcome.error, time: outcome.time };
    if (outcome.rssi !== undefined) this.#rssi = { dbm: outcome.rssi, time: outcome.time };
  }

  /** The `<prefix>/battery/<id>/link` JSON (snake_case, ISO times, like the status JSON). */
  health(): LinkHealth {
    const iso = (time: number) => new Date(time).toISOString();
    const polls = this.#window.length;
    const error = this.#lastError;
    return {
      ...(this.#rssi && { rssi: this.#rssi.dbm, rssi_at: iso(this.#rssi.time) }),
      ...(polls > 0 && { quality_pct: Math.round((100 * this.#okInWindow) / polls) }),
      polls,
      reads_ok: this.#readsOk,
      reads_failed: this.#readsFailed,
      reconnects: this.#reconnects,
      ...(error && {
        last_error: { cause: error.cause, code: error.code, message: error.message, at: iso(error.time) },
      }),
      ...(this.#lastValidAt !== undefined && { last_valid_at: iso(this.#lastValidAt) }),
    };
  }
}

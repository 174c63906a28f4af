/**
 * One battery's availability: `online` with each valid reading, `offline` when none came for
 * `offlineAfterMs` (a timer, so it happens on time even while back-off stretches the polls), with the
 * kind and text of the last failure as the reason. Emits only changes.
 */
import { type BmsError, failureCause } from "../../errors.js";
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import type { AvailabilityState } from "../types.js";

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

export class BatteryAvailability {
  readonly #batteryId: string;
  readonly #ctx: { clock: Clock; bus: EventBus };
  readonly #offlineAfterMs: number;
  #state: AvailabilityState | undefined;
  #timer: TimerHandle | undefined;

  constructor(batteryId: string, ctx: { clock: Clock; bus: EventBus }, offlineAfterMs: number) {
    this.#batteryId = batteryId;
    this.#ctx = ctx;
    this.#offlineAfterMs = offlineAfterMs;
  }

  /** (Re)starts the wait for the next valid reading; `lastError()` names why it did not come. */
  arm(lastError: () => BmsError | undefined): void {
    this.cancel();
    const afterMs = this.#offlineAfterMs;
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      const last = lastError();
      const cause = last && failureCause(last);
      const why = last && cause ? `: ${cause.label} (${last.message})` : "";
      this.#set("offline", `no valid reading for ${formatSeconds(afterMs)}${why}`, cause?.cause);
    }, afterMs);
    this.#timer.unref?.();
  }

  online(): void {
    this.#set("online", "reading ok");
  }

  cancel(): void {
    if (this.#timer !== undefined) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #set(state: AvailabilityState, reason: string, cause?: ReturnType<typeof failureCause>["cause"]): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#ctx.bus.emit("availability", {
      batteryId: this.#batteryId,
      state,
      reason,
      ...(cause !== undefined && { cause }),
      time: this.#ctx.clock.now(),
    });
  }
}

/**
 * Runs a piece of work at most once per window on an injected Clock: the first `schedule()` arms a timer,
 * later ones until it fires are absorbed. With many batteries polled in the same round this turns N
 * recomputations of an all-batteries aggregate (O(N²) per round) into one (O(N)).
 */
import type { Clock, TimerHandle } from "./clock.js";

export interface Coalescer {
  /** Runs the work after the window (or now when the window is 0); absorbed while a run is pending. */
  schedule(): void;
  /** Drops a pending run, e.g. because the caller just did the work itself or is stopping. */
  cancel(): void;
  /** True while a run is scheduled. */
  readonly pending: boolean;
}

export function createCoalescer(clock: Clock, windowMs: number, run: () => void): Coalescer {
  let handle: TimerHandle | undefined;
  return {
    schedule() {
      if (windowMs <= 0) {
        run();
        return;
      }
      if (handle !== undefined) return;
      handle = clock.setTimeout(() => {
        handle = undefined;
        run();
      }, windowMs);
      // A pending aggregate must not keep a stopping process alive.
      handle.unref?.();
    },
    cancel() {
      if (handle === undefined) return;
      clock.clearTimeout(handle);
      handle = undefined;
    },
    get pending() {
      return handle !== undefined;
    },
  };
}

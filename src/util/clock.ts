/**
 * Time is injected everywhere outside src/cli: the bridge, poller and emulator take a Clock so tests can
 * drive them with fake timers and the emulator can run faster than real time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  /** Lets the process exit while this timer is pending (Node's `unref`). No-op in fakes. */
  unref?(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Resolves after `ms` on the given clock; rejects with the reason of the first signal aborted before.
 * Takes several signals itself, and removes its listeners either way, instead of callers combining them
 * with `AbortSignal.any`: on Node 20 every `AbortSignal.any` over a long-lived signal stays reachable from
 * it (about 1.3 KB each), which a poll loop calling it on every wait turns into a leak that grows all day.
 */
export function sleep(
  clock: Clock,
  ms: number,
  signal?: AbortSignal | readonly AbortSignal[],
): Promise<void> {
  const signals = signal === undefined ? [] : Array.isArray(signal) ? signal : [signal as AbortSignal];
  return new Promise((resolve, reject) => {
    const aborted = signals.find((s) => s.aborted);
    if (aborted) {
      reject(aborted.reason);
      return;
    }
    const detach = (): void => {
      for (const s of signals) s.removeEventListener("abort", onAbort);
    };
    function onAbort(this: AbortSignal): void {
      clock.clearTimeout(handle);
      detach();
      reject(this.reason);
    }
    const handle = clock.setTimeout(() => {
      detach();
      resolve();
    }, ms);
    for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves when `work` settles or after `ms` on `clock`, whichever comes first; never rejects. */
export function settleWithin(clock: Clock, ms: number, work: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    const done = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    void work.then(done, done);
  });
}

/**
 * One queue per BLE adapter: scan, connect, discover, subscribe and write never overlap on one adapter.
 * Overlapping them is what gives BlueZ users "Operation already in progress" and wedged adapters
 * (docs/background.md §6.2, §6.3). FIFO; every operation has a timeout.
 *
 * A timed-out operation is told through its AbortSignal and its caller gets TIMEOUT at once, but the next
 * operation starts only when the late one settles (or after `settleGraceMs`), so a slow HCI command is not
 * overlapped by the next one. The same holds when the adapter supervisor interrupts an operation because
 * the adapter went away, and while it is held (adapter down) only the supervisor's own reopen runs: so no
 * two operations ever overlap, across a reopen too.
 */
import { BmsError, isBmsError } from "../../errors.js";
import type { Clock } from "../../util/clock.js";

/** How an operation ended, for the supervisor's wedge detection: a controller that answers nothing times out. */
export type QueueOutcome = "ok" | "timeout" | "failed";

export interface QueueEvent {
  type: "start" | "end";
  label: string;
  /** Operations running at this moment, this one included on "start" (always 1 when the queue works). */
  running: number;
}

export interface OperationQueueOptions {
  clock: Clock;
  defaultTimeoutMs?: number;
  settleGraceMs?: number;
  /** Instrumentation: every start and end, in order. */
  onEvent?: (event: QueueEvent) => void;
  /** Every operation's outcome, once (a timeout counts when it happens, not when the late one settles). */
  onOutcome?: (outcome: QueueOutcome, label: string) => void;
}

export interface RunOptions {
  /** Runs even while the queue is held (the supervisor's reopen). */
  whileHeld?: boolean;
}

export type Operation<T> = (signal: AbortSignal) => Promise<T>;

interface Entry {
  label: string;
  timeoutMs: number;
  whileHeld: boolean;
  execute: () => Promise<void>;
  cancel: (error: BmsError) => void;
}

/** The operation running now: how to fail its caller early and start its grace period. */
interface Running {
  interrupt: (error: BmsError) => void;
}

export class OperationQueue {
  readonly #options: Required<Omit<OperationQueueOptions, "onEvent" | "onOutcome">> &
    Pick<OperationQueueOptions, "onEvent" | "onOutcome">;
  readonly #waiting: Entry[] = [];
  #running = 0;
  #current: Running | undefined;
  #closed: BmsError | undefined;
  #held: BmsError | undefined;

  constructor(options: OperationQueueOptions) {
    this.#options = { defaultTimeoutMs: 10_000, settleGraceMs: 2_000, ...options };
  }

  /** Operations waiting plus running. */
  get size(): number {
    return this.#waiting.length + this.#running;
  }

  /**
   * Queues `operation`; resolves with its result, or rejects with its error, TIMEOUT, CANCELED, or the
   * error the queue is held with.
   */
  run<T>(
    label: string,
    operation: Operation<T>,
    timeoutMs = this.#options.defaultTimeoutMs,
    options: RunOptions = {},
  ): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const whileHeld = options.whileHeld === true;
    if (this.#held && !whileHeld) return Promise.reject(this.#held);
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        label,
        timeoutMs,
        whileHeld,
        cancel: reject,
        execute: () => this.#execute(entry, operation, resolve, reject),
      };
      this.#waiting.push(entry);
      this.#next();
    });
  }

  /** Rejects everything still waiting with `error` (CANCELED by default); later run() calls reject too. */
  close(error = new BmsError("CANCELED", "the BLE adapter was closed")): void {
    this.#closed = error;
    for (const entry of this.#waiting.splice(0)) entry.cancel(error);
  }

  /**
   * The adapter is gone: the running operation's caller gets `error` now (the next operation still waits
   * for it to settle, or the grace period), waiting ones and later run() calls too, until release().
   */
  hold(error: BmsError): void {
    this.#held = error;
    for (const entry of this.#waiting.filter((e) => !e.whileHeld)) entry.cancel(error);
    this.#waiting.splice(0, this.#waiting.length, ...this.#waiting.filter((e) => e.whileHeld));
    this.#current?.interrupt(error);
  }

  release(): void {
    this.#held = undefined;
  }

  /** Fails the running operation's caller with `error` now (it settles in its own time, or the grace). */
  interrupt(error: BmsError): void {
    this.#current?.interrupt(error);
  }

  #next(): void {
    if (this.#running > 0) return;
    const entry = this.#waiting.shift();
    if (!entry) return;
    this.#running++;
    this.#options.onEvent?.({ type: "start", label: entry.label, running: this.#running });
    void entry.execute().finally(() => {
      this.#running--;
      this.#options.onEvent?.({ type: "end", label: entry.label, running: this.#running });
      this.#next();
    });
  }

  #execute<T>(
    entry: Entry,
    operation: Operation<T>,
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
  ): Promise<void> {
    const { clock, settleGraceMs } = this.#options;
    const controller = new AbortController();
    let reported = false;
    const report = (outcome: QueueOutcome) => {
      if (reported) return;
      reported = true;
      this.#options.onOutcome?.(outcome, entry.label);
    };
    return new Promise<void>((release) => {
      let graceTimer: ReturnType<Clock["setTimeout"]> | undefined;
      const giveUp = (error: BmsError) => {
        if (graceTimer !== undefined) return;
        clock.clearTimeout(timer);
        controller.abort(error);
        reject(error);
        graceTimer = clock.setTimeout(release, settleGraceMs);
      };
      const timer = clock.setTimeout(() => {
        report("timeout");
        giveUp(
          new BmsError("TIMEOUT", `BLE ${entry.label} timed out after ${entry.timeoutMs} ms`, {
            operation: entry.label,
          }),
        );
      }, entry.timeoutMs);
      this.#current = { interrupt: giveUp };
      const settle = () => {
        this.#current = undefined;
        clock.clearTimeout(timer);
        if (graceTimer !== undefined) clock.clearTimeout(graceTimer);
        release();
      };
      let started: Promise<T>;
      try {
        started = operation(controller.signal);
      } catch (error) {
        started = Promise.reject(error);
      }
      started.then(
        (value) => {
          report("ok");
          resolve(value); // no-op after a timeout already rejected
          settle();
        },
        (error: unknown) => {
          report(isBmsError(error, "TIMEOUT") ? "timeout" : "failed");
          reject(error);
          settle();
        },
      );
    });
  }
}

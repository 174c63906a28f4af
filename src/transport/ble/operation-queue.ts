/**
 * One queue per BLE adapter: scan, connect, discover, subscribe and write never overlap on one adapter.
 * Overlapping them is what gives BlueZ users "Operation already in progress" and wedged adapters
 * (prior-art §6.2, §6.3). FIFO; every operation has a timeout.
 *
 * A timed-out operation is told through its AbortSignal and its caller gets TIMEOUT at once, but the next
 * operation starts only when the late one settles (or after `settleGraceMs`), so a slow HCI command is not
 * overlapped by the next one.
 */
import { BmsError } from "../../errors.js";
import type { Clock } from "../../util/clock.js";

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
}

export type Operation<T> = (signal: AbortSignal) => Promise<T>;

interface Entry {
  label: string;
  timeoutMs: number;
  execute: () => Promise<void>;
  cancel: (error: BmsError) => void;
}

export class OperationQueue {
  readonly #options: Required<Omit<OperationQueueOptions, "onEvent">> &
    Pick<OperationQueueOptions, "onEvent">;
  readonly #waiting: Entry[] = [];
  #running = 0;
  #closed: BmsError | undefined;

  constructor(options: OperationQueueOptions) {
    this.#options = { defaultTimeoutMs: 10_000, settleGraceMs: 2_000, ...options };
  }

  /** Operations waiting plus running. */
  get size(): number {
    return this.#waiting.length + this.#running;
  }

  /** Queues `operation`; resolves with its result, or rejects with its error, TIMEOUT or CANCELED. */
  run<T>(label: string, operation: Operation<T>, timeoutMs = this.#options.defaultTimeoutMs): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        label,
        timeoutMs,
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
    return new Promise<void>((release) => {
      let graceTimer: ReturnType<Clock["setTimeout"]> | undefined;
      const timer = clock.setTimeout(() => {
        const error = new BmsError("TIMEOUT", `BLE ${entry.label} timed out after ${entry.timeoutMs} ms`, {
          operation: entry.label,
        });
        controller.abort(error);
        reject(error);
        graceTimer = clock.setTimeout(release, settleGraceMs);
      }, entry.timeoutMs);
      const settle = () => {
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
          resolve(value); // no-op after a timeout already rejected
          settle();
        },
        (error: unknown) => {
          reject(error);
          settle();
        },
      );
    });
  }
}

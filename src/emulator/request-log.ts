/**
 * Every request an emulated battery receives, decoded, in order: tests use it to prove what a client sent
 * (e.g. that the bridge never writes unless allowed) and to wait for a request (zwave-js style).
 */
import { BmsError } from "../errors.js";
import type { FrameErrorCode } from "../protocol/types.js";
import type { Clock } from "../util/clock.js";

export interface RecordedRequest {
  /** 1-based order of arrival on this battery. */
  index: number;
  /** Clock time of arrival, ms since the epoch. */
  timeMs: number;
  /** Simulated battery time, s. */
  simTimeS: number;
  /** The bytes of this frame (or of the rejected run). */
  bytes: Uint8Array;
  /** `request` = a well-formed JBD request; `invalid` = rejected by the assembler; `other` = a frame a host should not send. */
  kind: "request" | "invalid" | "other";
  op?: "read" | "write";
  register?: number;
  data?: Uint8Array;
  error?: FrameErrorCode;
}

export type RequestPredicate = (request: RecordedRequest) => boolean;

interface Waiter {
  predicate: RequestPredicate;
  resolve(request: RecordedRequest): void;
}

export class RequestLog {
  readonly entries: RecordedRequest[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  record(entry: Omit<RecordedRequest, "index">): RecordedRequest {
    const recorded = { ...entry, index: this.entries.length + 1 };
    this.entries.push(recorded);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.predicate(recorded)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(recorded);
    }
    return recorded;
  }

  /**
   * Resolves with the next request (arriving after this call) that matches; rejects with TIMEOUT after
   * `timeoutMs` on the battery's clock.
   */
  expect(predicate: RequestPredicate, timeoutMs: number): Promise<RecordedRequest> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (request) => {
          this.#clock.clearTimeout(timer);
          resolve(request);
        },
      };
      const timer = this.#clock.setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new BmsError("TIMEOUT", `no matching request within ${timeoutMs} ms`, { timeoutMs }));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  clear(): void {
    this.entries.length = 0;
  }
}

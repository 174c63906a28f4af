/**
 * One phone app (central) connected to a mirror: the bytes it writes to FF02 in, its answers out as FF01
 * notifications of at most 20 bytes, as a DP04S dongle sends them (ATT MTU 23).
 *
 * A misbehaving central cannot cost the bridge more than a few bounded things: requests beyond a token
 * bucket are dropped (no answer, as from a busy dongle); at most `queueLimit` wait, one is answered at a
 * time; bytes that make no request frame are dropped by the assembler (which bounds its own buffer); and
 * once it disconnects (mid-frame or not) its queue, assembler and answers in flight are simply let go.
 * A central that never subscribes to notifications just gets nothing: answers are not kept for it.
 */
import type { Logger } from "../../../log/logger.js";
import { FrameAssembler } from "../../../protocol/assembler.js";
import type { RequestFrame } from "../../../protocol/types.js";
import type { GattPort } from "../../../transport/ble/peripheral.js";
import type { Clock } from "../../../util/clock.js";
import { TokenBucket } from "../../../util/token-bucket.js";

export interface CentralLimits {
  /** Requests accepted at once… */
  burst: number;
  /** …then on average per second; the rest are dropped. */
  perSecond: number;
  /** Requests waiting for their answer; more are dropped. */
  queueLimit: number;
  /** Largest notification (bytes). */
  chunkBytes: number;
}

/** A phone app reads 0x03 + 0x04 every second or two, and a settings page a few dozen registers in a row. */
export const DEFAULT_CENTRAL_LIMITS: CentralLimits = {
  burst: 20,
  perSecond: 10,
  queueLimit: 16,
  chunkBytes: 20,
};

export interface Answerer {
  answer(request: RequestFrame, central: string): Promise<Uint8Array | undefined>;
}

export class MirrorCentral implements GattPort {
  readonly central: string;
  readonly #answers: Answerer;
  readonly #log: Logger;
  readonly #onClose: (() => void) | undefined;
  readonly #limits: CentralLimits;
  readonly #bucket: TokenBucket;
  readonly #assembler = new FrameAssembler();
  readonly #queue: RequestFrame[] = [];
  readonly #sendListeners = new Set<(chunk: Uint8Array) => void>();
  readonly #disconnectListeners = new Set<() => void>();
  #busy = false;
  #closed = false;
  /** Requests dropped by the rate limit or the full queue. */
  dropped = 0;
  /** Requests answered (some requests get no answer: stale reading, battery unreachable). */
  answered = 0;

  constructor(
    central: string,
    answers: Answerer,
    ctx: { clock: Clock; logger: Logger; onClose?: () => void },
    limits = DEFAULT_CENTRAL_LIMITS,
  ) {
    this.central = central;
    this.#answers = answers;
    this.#log = ctx.logger;
    this.#onClose = ctx.onClose;
    this.#limits = limits;
    this.#bucket = new TokenBucket(ctx.clock, limits.burst, limits.perSecond);
  }

  get closed(): boolean {
    return this.#closed;
  }

  receive(bytes: Uint8Array): void {
    if (this.#closed) return;
    for (const item of this.#assembler.push(bytes)) if (item.kind === "request") this.#offer(item);
  }

  onSend(listener: (chunk: Uint8Array) => void): () => void {
    this.#sendListeners.add(listener);
    return () => this.#sendListeners.delete(listener);
  }

  onDisconnectRequest(listener: () => void): () => void {
    this.#disconnectListeners.add(listener);
    return () => this.#disconnectListeners.delete(listener);
  }

  /** Drops the central (the battery went offline: a dongle whose battery is gone has no link either). */
  disconnect(): void {
    for (const listener of [...this.#disconnectListeners]) listener();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose?.();
    this.#queue.length = 0;
    this.#sendListeners.clear();
    this.#disconnectListeners.clear();
    this.#assembler.reset();
  }

  #offer(request: RequestFrame): void {
    if (this.#queue.length >= this.#limits.queueLimit || !this.#bucket.take()) {
      if (this.dropped === 0) {
        this.#log.warn(
          `central ${this.central} asks faster than ${this.#limits.perSecond} requests/s: dropping the excess`,
        );
      }
      this.dropped++;
      return;
    }
    this.#queue.push(request);
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let request = this.#queue.shift(); request; request = this.#queue.shift()) {
        const bytes = await this.#answers.answer(request, this.central);
        if (this.#closed) return;
        if (bytes !== undefined) this.#send(bytes);
      }
    } finally {
      this.#busy = false;
    }
  }

  #send(bytes: Uint8Array): void {
    this.answered++;
    for (let offset = 0; offset < bytes.length; offset += this.#limits.chunkBytes) {
      const chunk = bytes.subarray(offset, offset + this.#limits.chunkBytes);
      for (const listener of this.#sendListeners) listener(chunk);
    }
  }
}

/**
 * The connection surface of an emulated battery (docs/architecture.md "Emulator API"). A transport adapter
 * (memory link, TCP socket, serial port, bleno characteristic) pushes the central's bytes into `receive` and
 * forwards each `onSend` chunk as one notification / write. Steps of a plan run strictly in order, as on a
 * real single-threaded BMS: a delayed response holds back the ones after it.
 */
import type { Clock, TimerHandle } from "../util/clock.js";
import type { Step } from "./behaviors/behavior.js";

export interface EmulatorPort {
  readonly isOpen: boolean;
  /** Bytes from the central, in any chunking. */
  receive(bytes: Uint8Array): void;
  /** Each chunk is one notification / one write, already split by the fault layer. */
  onSend(listener: (chunk: Uint8Array) => void): () => void;
  /** The battery wants the link dropped (a fault, a reboot). */
  onDisconnectRequest(listener: () => void): () => void;
  close(): void;
}

/** What the battery gives a port: where received bytes go and what a reboot does. */
export interface PortHost {
  clock: Clock;
  handleBytes(port: PortImpl, bytes: Uint8Array): Step[];
  reboot(): void;
  released(port: PortImpl): void;
}

export class PortImpl implements EmulatorPort {
  #open = true;
  readonly #sendListeners = new Set<(chunk: Uint8Array) => void>();
  readonly #disconnectListeners = new Set<() => void>();
  readonly #queue: Step[] = [];
  #timer: TimerHandle | undefined;
  /** When the wait in progress (or the last one) ends, on the host clock. */
  #dueMs = 0;
  readonly #host: PortHost;

  constructor(host: PortHost) {
    this.#host = host;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  receive(bytes: Uint8Array): void {
    if (!this.#open) return;
    this.run(this.#host.handleBytes(this, bytes));
  }

  /** Queues steps behind any in progress and runs what can run now. */
  run(steps: Step[]): void {
    this.#queue.push(...steps);
    if (this.#timer === undefined) this.#drain(false);
  }

  /**
   * Runs steps until a wait. Waits are kept on a schedule, not chained timers: after a timer fires late,
   * the following waits are shortened, so many short waits (a wire's ~1 ms bytes) add up to their sum.
   */
  #drain(resumed: boolean): void {
    while (this.#open && this.#queue.length > 0) {
      const step = this.#queue.shift() as Step;
      if (step.kind === "wait") {
        const now = this.#host.clock.now();
        this.#dueMs = (resumed ? this.#dueMs : now) + step.ms;
        resumed = true;
        if (this.#dueMs <= now) continue;
        this.#timer = this.#host.clock.setTimeout(() => {
          this.#timer = undefined;
          this.#drain(true);
        }, this.#dueMs - now);
        return;
      }
      this.#execute(step);
    }
  }

  #execute(step: Exclude<Step, { kind: "wait" }>): void {
    switch (step.kind) {
      case "send":
        for (const listener of [...this.#sendListeners]) listener(step.bytes);
        return;
      case "reboot":
        this.#requestDisconnect(() => this.#host.reboot());
        return;
      case "disconnect":
        this.#requestDisconnect();
        return;
    }
  }

  #requestDisconnect(before?: () => void): void {
    const listeners = [...this.#disconnectListeners];
    before?.();
    this.close();
    for (const listener of listeners) listener();
  }

  onSend(listener: (chunk: Uint8Array) => void): () => void {
    this.#sendListeners.add(listener);
    return () => this.#sendListeners.delete(listener);
  }

  onDisconnectRequest(listener: () => void): () => void {
    this.#disconnectListeners.add(listener);
    return () => this.#disconnectListeners.delete(listener);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#queue.length = 0;
    if (this.#timer !== undefined) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sendListeners.clear();
    this.#disconnectListeners.clear();
    this.#host.released(this);
  }
}

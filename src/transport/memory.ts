/**
 * An in-memory Link. It is the fake every client/poller test uses and the pipe that connects the bridge
 * to an in-process emulated battery (`bms-bridge demo`). The peer side is driven by `emitData` (bytes the
 * "device" sends), `drop` (the device went away) and the `onWrite` hook / `writes` record (bytes we sent).
 */
import { BmsError } from "../errors.js";
import { LinkListeners } from "./link-listeners.js";
import type { CloseListener, DataListener, Link } from "./types.js";

export interface MemoryLinkOptions {
  /** Called for every write, after it is recorded. Throwing rejects the write. */
  onWrite?: (bytes: Uint8Array) => void;
  /** Called once when we (not the peer) close the link. */
  onLocalClose?: () => void;
}

export class MemoryLink implements Link {
  readonly address: string;
  /** Every chunk written, in order (a copy, so later mutation by the caller cannot change the record). */
  readonly writes: Uint8Array[] = [];
  #open = true;
  readonly #listeners = new LinkListeners();
  readonly #options: MemoryLinkOptions;

  constructor(address: string, options: MemoryLinkOptions = {}) {
    this.address = address;
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get lastWrite(): Uint8Array | undefined {
    return this.writes.at(-1);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.#open)
      throw new BmsError("NOT_OPEN", `link to ${this.address} is closed`, { address: this.address });
    this.writes.push(Uint8Array.from(bytes));
    this.#options.onWrite?.(bytes);
  }

  onData(listener: DataListener): () => void {
    return this.#listeners.onData(listener);
  }

  onClose(listener: CloseListener): () => void {
    return this.#listeners.onClose(listener);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.#options.onLocalClose?.();
    this.#listeners.emitClose(undefined);
  }

  /** Peer side: deliver one chunk to our listeners (ignored once closed, like a real socket). */
  emitData(chunk: Uint8Array): void {
    if (!this.#open) return;
    this.#listeners.emitData(chunk);
  }

  /** Peer side: the device disconnected. */
  drop(
    error: BmsError = new BmsError("DISCONNECTED", `${this.address} disconnected`, { address: this.address }),
  ): void {
    if (!this.#open) return;
    this.#open = false;
    this.#listeners.emitClose(error);
  }
}

/**
 * The listener bookkeeping every Link adapter needs (memory, TCP/serial streams, BLE): data listeners,
 * close listeners called once, and both sets dropped on close so a closed link holds no references.
 */
import type { BmsError } from "../errors.js";
import type { CloseListener, DataListener } from "./types.js";

export class LinkListeners {
  readonly #data = new Set<DataListener>();
  readonly #close = new Set<CloseListener>();

  onData(listener: DataListener): () => void {
    this.#data.add(listener);
    return () => this.#data.delete(listener);
  }

  onClose(listener: CloseListener): () => void {
    this.#close.add(listener);
    return () => this.#close.delete(listener);
  }

  /** Delivers one chunk to every data listener (a snapshot, so listeners may unsubscribe while called). */
  emitData(chunk: Uint8Array): void {
    for (const listener of [...this.#data]) listener(chunk);
  }

  /** Calls every close listener once with `error`, then forgets all listeners. */
  emitClose(error: BmsError | undefined): void {
    const listeners = [...this.#close];
    this.#close.clear();
    this.#data.clear();
    for (const listener of listeners) listener(error);
  }
}

/**
 * The Link bookkeeping shared by byte-stream transports (TCP, serial): listener sets, the open flag,
 * close-once semantics and the errors the Link contract promises. A transport adapter supplies the raw
 * write/close and reports incoming bytes with `deliver()` and the end of the stream with `ended()`.
 */
import { BmsError } from "../errors.js";
import { LinkListeners } from "./link-listeners.js";
import type { CloseListener, DataListener, Link } from "./types.js";

export interface StreamIo {
  write(bytes: Uint8Array): Promise<void>;
  /** Releases the underlying resource; must not throw. */
  close(): Promise<void>;
}

export class StreamLink implements Link {
  readonly address: string;
  #open = true;
  #closing = false;
  readonly #io: StreamIo;
  readonly #listeners = new LinkListeners();

  constructor(address: string, io: StreamIo) {
    this.address = address;
    this.#io = io;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.#open)
      throw new BmsError("NOT_OPEN", `link to ${this.address} is closed`, { address: this.address });
    try {
      await this.#io.write(bytes);
    } catch (error) {
      const wrapped = new BmsError(
        "DISCONNECTED",
        `${this.address}: write failed (${(error as Error).message})`,
        {
          address: this.address,
        },
      );
      this.ended(wrapped);
      throw wrapped;
    }
  }

  onData(listener: DataListener): () => void {
    return this.#listeners.onData(listener);
  }

  onClose(listener: CloseListener): () => void {
    return this.#listeners.onClose(listener);
  }

  async close(): Promise<void> {
    if (!this.#open || this.#closing) return;
    this.#closing = true;
    await this.#io.close();
    this.ended(undefined);
  }

  /** Adapter side: bytes arrived. */
  deliver(chunk: Uint8Array): void {
    if (!this.#open) return;
    this.#listeners.emitData(chunk);
  }

  /** Adapter side: the stream ended; `error` when the peer (not us) ended it. */
  ended(error: BmsError | undefined): void {
    if (!this.#open) return;
    this.#open = false;
    const reason = this.#closing
      ? undefined
      : (error ??
        new BmsError("DISCONNECTED", `${this.address} closed the connection`, { address: this.address }));
    this.#listeners.emitClose(reason);
  }
}

/**
 * The one link contract every transport implements (BLE, serial, TCP, in-memory). It is deliberately
 * byte-oriented and tiny: framing lives in src/protocol, request/response logic in src/bridge/client.
 *
 * Errors: every rejection is a BmsError.
 *  - `NOT_OPEN`     write() after close() or after the link dropped.
 *  - `DISCONNECTED` the peer went away; onClose listeners receive the same error.
 *  - `CANCELED`     an in-flight operation was abandoned because close() was called.
 */
import type { BmsError } from "../errors.js";

export type DataListener = (chunk: Uint8Array) => void;
export type CloseListener = (error?: BmsError) => void;

export interface Link {
  /** Canonical address of the peer, e.g. `A5:C2:37:3C:76:D2`, `tcp:10.0.0.5:8899`, `serial:/dev/ttyUSB0`. */
  readonly address: string;
  readonly isOpen: boolean;
  /** Sends bytes. For BLE, one call = one GATT write (write-without-response, falling back to write). */
  write(bytes: Uint8Array): Promise<void>;
  /** Every chunk as it arrives (one BLE notification, one TCP segment, …). Returns an unsubscribe function. */
  onData(listener: DataListener): () => void;
  /** Called once when the link closes; with an error when it was not closed by us. */
  onClose(listener: CloseListener): () => void;
  /** Idempotent. */
  close(): Promise<void>;
  /** Signal strength in dBm as last known (BLE only: the advertisement, or the connection); undefined when unknown. */
  readonly rssi?: number | undefined;
}

export interface OpenOptions {
  /** Give up connecting after this long (BmsError TIMEOUT). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Something that can open links to the addresses of one kind (an adapter, a serial driver, TCP). */
export interface LinkOpener {
  open(address: string, options: OpenOptions): Promise<Link>;
}

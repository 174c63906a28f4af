/**
 * Typed errors shared by every layer. Only `BmsError`s cross module boundaries; anything else that
 * escapes is a bug. `code` is stable and documented (README "Errors"); `context` carries what a user
 * or a bug report needs (raw hex of a frame, the address, the config path).
 */
export type BmsErrorCode =
  // framing / decoding (src/protocol)
  | "FRAME_CHECKSUM"
  | "FRAME_TERMINATOR"
  | "FRAME_TRUNCATED"
  | "FRAME_LENGTH"
  | "FRAME_JUNK"
  | "DECODE_INVALID"
  | "ENCODE_INVALID"
  | "BMS_STATUS"
  // links and devices (src/transport, src/bridge)
  | "TIMEOUT"
  | "DISCONNECTED"
  | "CANCELED"
  | "NOT_OPEN"
  | "ADAPTER_UNAVAILABLE"
  | "ADAPTER_LOST"
  | "DEVICE_NOT_FOUND"
  | "CONNECT_FAILED"
  | "GATT_MISSING"
  | "BUSY"
  // process-level
  | "CONFIG_INVALID"
  | "USAGE"
  | "PORT_IN_USE"
  | "BROKER_UNREACHABLE"
  | "IO";

export class BmsError extends Error {
  readonly code: BmsErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: BmsErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "BmsError";
    this.code = code;
    this.context = context;
  }
}

export function isBmsError(value: unknown, code?: BmsErrorCode): value is BmsError {
  return value instanceof BmsError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a BmsError without losing the original (kept as `cause`). */
export function toBmsError(value: unknown, fallback: BmsErrorCode = "IO"): BmsError {
  if (value instanceof BmsError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new BmsError(fallback, message, {}, { cause: value });
}

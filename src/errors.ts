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
  | "BAD_FRAMES"
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

/**
 * Why a battery could not be read, in the few kinds a user can act on differently: the
 * battery does not advertise (out of range, asleep, or the phone app holds its one connection), it
 * refused or did not complete the connection, it lacks the JBD GATT service, it did not answer, it
 * answered garbage, the link dropped, or our own adapter is gone.
 */
export type FailureCause =
  | "not_advertising"
  | "connect_failed"
  | "gatt_missing"
  | "no_reply"
  | "bad_frames"
  | "link_lost"
  | "adapter_lost"
  | "other";

const CAUSES: ReadonlyArray<[FailureCause, string, ReadonlyArray<BmsErrorCode>]> = [
  ["not_advertising", "not advertising", ["DEVICE_NOT_FOUND"]],
  ["connect_failed", "connect refused or timed out", ["CONNECT_FAILED"]],
  ["gatt_missing", "GATT service missing", ["GATT_MISSING"]],
  ["no_reply", "no reply", ["TIMEOUT"]],
  [
    "bad_frames",
    "bad frames",
    [
      "BAD_FRAMES",
      "FRAME_CHECKSUM",
      "FRAME_TERMINATOR",
      "FRAME_TRUNCATED",
      "FRAME_LENGTH",
      "FRAME_JUNK",
      "DECODE_INVALID",
      "BMS_STATUS",
    ],
  ],
  ["link_lost", "link dropped", ["DISCONNECTED", "NOT_OPEN"]],
  ["adapter_lost", "adapter lost", ["ADAPTER_LOST", "ADAPTER_UNAVAILABLE"]],
];

/** The kind of failure an error is, and a short label for logs and availability reasons. */
export function failureCause(error: BmsError): { cause: FailureCause; label: string } {
  const found = CAUSES.find(([, , codes]) => codes.includes(error.code));
  return found ? { cause: found[0], label: found[1] } : { cause: "other", label: error.code.toLowerCase() };
}

/** Wraps anything thrown into a BmsError without losing the original (kept as `cause`). */
export function toBmsError(value: unknown, fallback: BmsErrorCode = "IO"): BmsError {
  if (value instanceof BmsError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new BmsError(fallback, message, {}, { cause: value });
}

/** Response status byte (docs/protocol.md §2; meanings from the V11 document). */

export const STATUS_OK = 0x00;

export interface StatusInfo {
  /** Stable snake_case name for logs and JSON. */
  name: string;
  /** What the BMS means by it. */
  meaning: string;
}

export const STATUS_CODES: Readonly<Record<number, StatusInfo>> = {
  0: { name: "ok", meaning: "OK" },
  128: { name: "unknown_register", meaning: "command or register does not exist" },
  129: {
    name: "operation_error",
    meaning: "operation error (e.g. parameter access outside factory mode, password mismatch)",
  },
  130: { name: "verification_error", meaning: "verification error" },
  131: { name: "password_error", meaning: "password error" },
};

/** Describes any status byte; codes outside the table are reported as unknown, never rejected. */
export function describeStatus(status: number): StatusInfo {
  return (
    STATUS_CODES[status] ?? {
      name: "unknown_status",
      meaning: `unknown status 0x${status.toString(16).padStart(2, "0")}`,
    }
  );
}

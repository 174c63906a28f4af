/** Parsing hex as users paste it: "DD A5 03 00", "dd:a5:03:00", "0xDD,0xA5", "DD.A5.03.00", "dda50300". */
import { BmsError } from "../errors.js";
import type { Decoded } from "./types.js";

/** Separators seen in capture logs: spaces, colons (esphome uart_debug), commas, dots (esphome BLE), dashes. */
const SEPARATORS = /[\s:,.;-]+/g;

/**
 * Bytes from pasted hex. Every token may carry a `0x` prefix; separators are optional. Returns a
 * USAGE error naming the first problem (a non-hex character or an odd digit count) instead of guessing.
 */
export function parseHex(text: string): Decoded<Uint8Array> {
  const digits = text
    .split(SEPARATORS)
    .map((token) => token.replace(/^0x/i, ""))
    .join("");
  const bad = /[^0-9a-f]/i.exec(digits);
  if (bad) {
    return fail(
      `not a hex digit: ${JSON.stringify(bad[0])} (in ${JSON.stringify(excerpt(digits, bad.index))})`,
    );
  }
  if (digits.length % 2 !== 0)
    return fail(`odd number of hex digits (${digits.length}); each byte needs two`);
  const bytes = Uint8Array.from({ length: digits.length / 2 }, (_, i) =>
    Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16),
  );
  return { ok: true, value: bytes };
}

function excerpt(text: string, at: number): string {
  return text.slice(Math.max(0, at - 6), at + 6);
}

function fail(message: string): Decoded<never> {
  return { ok: false, error: new BmsError("USAGE", message) };
}

/** Test helper: "DD A5 03 00" -> bytes (tests only; the CLI has its own tolerant parser). */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/[\s:,]|0x/gi, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`bad hex in test: ${text}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

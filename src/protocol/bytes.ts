/** Small big-endian helpers shared by the register codecs (docs/protocol.md: every field is big-endian). */

export function u16(data: Uint8Array, offset: number): number {
  return (((data[offset] as number) << 8) | (data[offset + 1] as number)) >>> 0;
}

export function s16(data: Uint8Array, offset: number): number {
  const value = u16(data, offset);
  return value >= 0x8000 ? value - 0x10000 : value;
}

export function putU16(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >> 8) & 0xff;
  out[offset + 1] = value & 0xff;
}

/** "DD A5 03 00 FF FD 77": how frames appear in logs, errors and the decode command. */
export function toHex(bytes: Uint8Array, separator = " "): string {
  return Array.from(bytes, (byte) => byte.toString(16).toUpperCase().padStart(2, "0")).join(separator);
}

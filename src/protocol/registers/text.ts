/** Byte <-> string for the ASCII registers. Latin-1 keeps every byte visible and round-trips exactly. */
import { BmsError } from "../../errors.js";

export function bytesToText(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

export function textToBytes(text: string, maxLength: number): Uint8Array {
  const out = Uint8Array.from(text, (char) => {
    const code = char.charCodeAt(0);
    if (code > 0xff)
      throw new BmsError("ENCODE_INVALID", `character ${JSON.stringify(char)} is not one byte`);
    return code;
  });
  if (out.length > maxLength) {
    throw new BmsError("ENCODE_INVALID", `text is ${out.length} bytes; at most ${maxLength} fit`);
  }
  return out;
}

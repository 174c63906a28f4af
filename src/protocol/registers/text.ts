/** Byte <-> string for the ASCII registers. Latin-1 keeps every byte visible and round-trips exactly. */
import { BmsError } from "../../errors.js";

export function bytesToText(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

export function textToBytes(text: string, maxLength: number): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff)
      throw new BmsError("ENCODE_INVALID", `character ${JSON.stringify(text[i])} is not one byte`);
    out[i] = code;
  }
  if (out.length > maxLength) {
    throw new BmsError("ENCODE_INVALID", `text is ${out.length} bytes; at most ${maxLength} fit`);
  }
  return out;
}

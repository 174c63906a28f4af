/** Converting SI values to wire integers for the encoders (the emulator's side of the codec). */
import { BmsError } from "../errors.js";

/**
 * value / unit, rounded and saturated to [min, max] as a real BMS's registers saturate.
 * NaN or ±Infinity is a programming error and throws ENCODE_INVALID.
 */
export function toWire(field: string, value: number, unit: number, min: number, max: number): number {
  if (!Number.isFinite(value)) {
    throw new BmsError("ENCODE_INVALID", `${field} must be a finite number, got ${value}`, { field, value });
  }
  const raw = Math.round(value / unit);
  return Math.min(max, Math.max(min, raw));
}

export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const S16_MIN = -0x8000;
export const S16_MAX = 0x7fff;

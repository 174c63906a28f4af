/**
 * LiFePO4 open-circuit voltage as a function of state of charge (per cell, at rest, ~25 °C).
 * The shape is the usual LFP one: a steep knee below ~10 %, a very flat plateau from 20 % to 90 %
 * (which is why a capacity mismatch stays invisible in the cell voltages for most of a discharge),
 * and a sharp rise above ~95 %. Values are typical of published LFP curves, not a measurement of the
 * ECO-Worthy cells; they only need to look real and be monotonic.
 */
const OCV_TABLE: ReadonlyArray<readonly [socPct: number, volts: number]> = [
  [0, 2.5],
  [2, 2.85],
  [5, 3.05],
  [10, 3.18],
  [15, 3.22],
  [20, 3.25],
  [30, 3.275],
  [40, 3.29],
  [50, 3.3],
  [60, 3.315],
  [70, 3.341],
  [80, 3.342],
  [90, 3.35],
  [95, 3.37],
  [98, 3.42],
  [99, 3.47],
  [100, 3.55],
];

/** OCV in volts for a state of charge in percent; clamps outside 0–100 (linear interpolation). */
export function ocvVolts(socPct: number): number {
  const first = OCV_TABLE[0] as readonly [number, number];
  const last = OCV_TABLE[OCV_TABLE.length - 1] as readonly [number, number];
  if (socPct <= first[0]) return first[1];
  if (socPct >= last[0]) return last[1];
  for (let i = 1; i < OCV_TABLE.length; i++) {
    const [s1, v1] = OCV_TABLE[i] as readonly [number, number];
    if (socPct <= s1) {
      const [s0, v0] = OCV_TABLE[i - 1] as readonly [number, number];
      return v0 + ((v1 - v0) * (socPct - s0)) / (s1 - s0);
    }
  }
  return last[1];
}

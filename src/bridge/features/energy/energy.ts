/**
 * Energy and charge counters, integrated from readings. PURE: no clock, no I/O.
 *
 * Rules (docs/features-ha-energy-bank.md "Energy counters"):
 * - Sign: positive current = charging, as on the wire (docs/protocol.md §3). Charged and discharged
 *   amounts are kept apart and both only ever grow.
 * - Trapezoidal rule between two consecutive readings, using the readings' own `time`. When the
 *   current (and so the power) changes sign inside an interval, the straight line between the two
 *   samples is split at its zero crossing, so a charge→discharge swing is not netted away.
 * - Honest gaps: an interval is integrated only when 0 < Δt ≤ `maxGapMs`, and never across an
 *   offline period (`breakContinuity`). A skipped interval adds nothing; we do not guess what flowed.
 */

export interface EnergyCounters {
  chargedKwh: number;
  dischargedKwh: number;
  chargedAh: number;
  dischargedAh: number;
}

export interface EnergySample {
  /** ms, the reading's `time`. */
  time: number;
  voltageV: number;
  /** A, positive = charging. */
  currentA: number;
}

/** One battery's counters plus the last sample, which the next interval starts from. */
export interface EnergyTrack {
  counters: EnergyCounters;
  last?: EnergySample;
}

export interface EnergyRules {
  /** Longest interval (ms) still integrated; longer gaps are skipped. Typically 3 × poll interval. */
  maxGapMs: number;
}

const MS_PER_HOUR = 3_600_000;

export function zeroCounters(): EnergyCounters {
  return { chargedKwh: 0, dischargedKwh: 0, chargedAh: 0, dischargedAh: 0 };
}

/**
 * Area under the straight line from `a` to `b` over `hours`, split into its positive and negative
 * parts (both returned as non-negative numbers).
 */
export function splitTrapezoid(a: number, b: number, hours: number): { positive: number; negative: number } {
  if (a >= 0 && b >= 0) return { positive: ((a + b) / 2) * hours, negative: 0 };
  if (a <= 0 && b <= 0) return { positive: 0, negative: (-(a + b) / 2) * hours };
  // Opposite signs: the line crosses zero at fraction f = a / (a − b) of the interval.
  const f = a / (a - b);
  const first = (a / 2) * f * hours;
  const second = (b / 2) * (1 - f) * hours;
  return first > 0 ? { positive: first, negative: -second } : { positive: second, negative: -first };
}

/** Whether the interval from `last` to `next` may be integrated under `rules`. */
export function isIntegrable(last: EnergySample, next: EnergySample, rules: EnergyRules): boolean {
  const dt = next.time - last.time;
  return dt > 0 && dt <= rules.maxGapMs;
}

/** Adds the interval ending at `sample` (when integrable) and makes `sample` the new start. */
export function integrate(track: EnergyTrack, sample: EnergySample, rules: EnergyRules): EnergyTrack {
  const { last } = track;
  if (!last || !isIntegrable(last, sample, rules)) return { counters: track.counters, last: sample };
  const hours = (sample.time - last.time) / MS_PER_HOUR;
  const charge = splitTrapezoid(last.currentA, sample.currentA, hours);
  const energy = splitTrapezoid(last.voltageV * last.currentA, sample.voltageV * sample.currentA, hours);
  const c = track.counters;
  return {
    counters: {
      chargedAh: c.chargedAh + charge.positive,
      dischargedAh: c.dischargedAh + charge.negative,
      chargedKwh: c.chargedKwh + energy.positive / 1000,
      dischargedKwh: c.dischargedKwh + energy.negative / 1000,
    },
    last: sample,
  };
}

/** The battery went offline: the next reading starts a new run instead of closing an interval. */
export function breakContinuity(track: EnergyTrack): EnergyTrack {
  return { counters: track.counters };
}

export function sumCounters(all: Iterable<EnergyCounters>): EnergyCounters {
  const total = zeroCounters();
  for (const c of all) {
    total.chargedKwh += c.chargedKwh;
    total.dischargedKwh += c.dischargedKwh;
    total.chargedAh += c.chargedAh;
    total.dischargedAh += c.dischargedAh;
  }
  return total;
}

/** A counter as its topic shows it: kWh to 4 decimals, Ah to 3. */
export function shownValue(value: number, unit: "kWh" | "Ah"): number {
  return Number(value.toFixed(unit === "kWh" ? 4 : 3));
}

/** Wire names (topics `…/energy/<field>`, state-file keys) for each counter. */
export const ENERGY_FIELDS: ReadonlyArray<{ key: keyof EnergyCounters; wire: string; unit: "kWh" | "Ah" }> = [
  { key: "chargedKwh", wire: "charged_kwh", unit: "kWh" },
  { key: "dischargedKwh", wire: "discharged_kwh", unit: "kWh" },
  { key: "chargedAh", wire: "charged_ah", unit: "Ah" },
  { key: "dischargedAh", wire: "discharged_ah", unit: "Ah" },
];

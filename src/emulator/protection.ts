/**
 * Protection logic like a JBD BMS: each condition has a trip threshold held for a delay, and a separate
 * release threshold (hysteresis) also held for a delay; current faults release after a fixed time because
 * the opened FET makes the current zero. Active conditions set the 0x03 protection bits (docs/protocol.md §3)
 * and open the charge or discharge FET. Trips are counted in the 0xAA order (docs/protocol.md §6).
 */
import type { ProtectionProfile } from "./profile.js";

/** What the protection logic looks at, once per simulation step. */
export interface Measurements {
  maxCellMv: number;
  minCellMv: number;
  packV: number;
  maxTempC: number;
  minTempC: number;
  /** Current actually flowing, A (positive = charging). */
  currentA: number;
  /** Current the load/charger asks for before the FETs gate it; a short circuit is detected on this. */
  demandA: number;
}

/** What the protection monitor looks at, from one step's cell voltages and NTC temperatures. */
export function measurements(
  cellsMv: number[],
  temperaturesC: number[],
  flow: { currentA: number; demandA: number },
): Measurements {
  return {
    maxCellMv: Math.max(...cellsMv),
    minCellMv: Math.min(...cellsMv),
    packV: cellsMv.reduce((a, b) => a + b, 0) / 1000,
    maxTempC: Math.max(...temperaturesC),
    minTempC: Math.min(...temperaturesC),
    currentA: flow.currentA,
    demandA: flow.demandA,
  };
}

type Direction = "charge" | "discharge";

interface Rule {
  bit: number;
  /** Index of this condition's counter in register 0xAA. */
  counter: number;
  blocks: Direction;
  trips(m: Measurements, s: ProtectionProfile): boolean;
  /** Level rules release on a measured value; timed rules (current) after `releaseAfterS`. */
  releases?(m: Measurements, s: ProtectionProfile): boolean;
  releaseAfterS?(s: ProtectionProfile): number;
  tripDelayS(s: ProtectionProfile): number;
}

const levelDelay = (s: ProtectionProfile): number => s.tripDelayS;

/** Bit numbers from docs/protocol.md §3; counter indexes from §6. */
const RULES: readonly Rule[] = [
  {
    bit: 0,
    counter: 3,
    blocks: "charge",
    trips: (m, s) => m.maxCellMv >= s.cellOvervoltageMv,
    releases: (m, s) => m.maxCellMv <= s.cellOvervoltageReleaseMv,
    tripDelayS: levelDelay,
  },
  {
    bit: 1,
    counter: 4,
    blocks: "discharge",
    trips: (m, s) => m.minCellMv <= s.cellUndervoltageMv,
    releases: (m, s) => m.minCellMv >= s.cellUndervoltageReleaseMv,
    tripDelayS: levelDelay,
  },
  {
    bit: 2,
    counter: 9,
    blocks: "charge",
    trips: (m, s) => m.packV >= s.packOvervoltageV,
    releases: (m, s) => m.packV <= s.packOvervoltageReleaseV,
    tripDelayS: levelDelay,
  },
  {
    bit: 3,
    counter: 10,
    blocks: "discharge",
    trips: (m, s) => m.packV <= s.packUndervoltageV,
    releases: (m, s) => m.packV >= s.packUndervoltageReleaseV,
    tripDelayS: levelDelay,
  },
  {
    bit: 4,
    counter: 5,
    blocks: "charge",
    trips: (m, s) => m.maxTempC >= s.chargeOvertempC,
    releases: (m, s) => m.maxTempC <= s.chargeOvertempReleaseC,
    tripDelayS: levelDelay,
  },
  {
    bit: 5,
    counter: 6,
    blocks: "charge",
    trips: (m, s) => m.minTempC <= s.chargeUndertempC,
    releases: (m, s) => m.minTempC >= s.chargeUndertempReleaseC,
    tripDelayS: levelDelay,
  },
  {
    bit: 6,
    counter: 7,
    blocks: "discharge",
    trips: (m, s) => m.maxTempC >= s.dischargeOvertempC,
    releases: (m, s) => m.maxTempC <= s.dischargeOvertempReleaseC,
    tripDelayS: levelDelay,
  },
  {
    bit: 7,
    counter: 8,
    blocks: "discharge",
    trips: (m, s) => m.minTempC <= s.dischargeUndertempC,
    releases: (m, s) => m.minTempC >= s.dischargeUndertempReleaseC,
    tripDelayS: levelDelay,
  },
  {
    bit: 8,
    counter: 1,
    blocks: "charge",
    trips: (m, s) => m.currentA > s.chargeOvercurrentA,
    releaseAfterS: (s) => s.overcurrentReleaseS,
    tripDelayS: (s) => s.overcurrentDelayS,
  },
  {
    bit: 9,
    counter: 2,
    blocks: "discharge",
    trips: (m, s) => -m.currentA > s.dischargeOvercurrentA,
    releaseAfterS: (s) => s.overcurrentReleaseS,
    tripDelayS: (s) => s.overcurrentDelayS,
  },
  {
    bit: 10,
    counter: 0,
    blocks: "discharge",
    trips: (m, s) => Math.abs(m.demandA) >= s.shortCircuitA,
    releaseAfterS: (s) => s.shortCircuitReleaseS,
    tripDelayS: () => 0,
  },
];

/** The protection bit 0xE1 sets while a FET is forced off (docs/protocol.md §3, §7). */
export const SOFTWARE_LOCK_BIT = 12;

interface RuleState {
  active: boolean;
  /** Simulated time the trip (or, while active, the release) condition started to hold. */
  pendingSinceS: number | undefined;
  trippedAtS: number;
}

export class ProtectionMonitor {
  readonly #states = new Map<Rule, RuleState>();

  constructor() {
    this.reset();
  }

  reset(): void {
    for (const rule of RULES)
      this.#states.set(rule, { active: false, pendingSinceS: undefined, trippedAtS: 0 });
  }

  /**
   * Advances the monitor to `nowS`. Returns the 0xAA counter indexes of conditions that tripped now.
   */
  update(m: Measurements, settings: ProtectionProfile, nowS: number): number[] {
    const tripped: number[] = [];
    for (const rule of RULES) {
      const state = this.#states.get(rule) as RuleState;
      if (
        state.active
          ? this.#shouldRelease(rule, state, m, settings, nowS)
          : this.#shouldTrip(rule, state, m, settings, nowS)
      ) {
        state.active = !state.active;
        state.pendingSinceS = undefined;
        if (state.active) {
          state.trippedAtS = nowS;
          tripped.push(rule.counter);
        }
      }
    }
    return tripped;
  }

  #shouldTrip(rule: Rule, state: RuleState, m: Measurements, s: ProtectionProfile, nowS: number): boolean {
    return this.#held(state, rule.trips(m, s), rule.tripDelayS(s), nowS);
  }

  #shouldRelease(rule: Rule, state: RuleState, m: Measurements, s: ProtectionProfile, nowS: number): boolean {
    if (rule.releaseAfterS) return nowS - state.trippedAtS >= rule.releaseAfterS(s);
    return this.#held(state, rule.releases?.(m, s) ?? true, s.releaseDelayS, nowS);
  }

  /** True once `condition` has held continuously for `delayS`. */
  #held(state: RuleState, condition: boolean, delayS: number, nowS: number): boolean {
    if (!condition) {
      state.pendingSinceS = undefined;
      return false;
    }
    state.pendingSinceS ??= nowS;
    return nowS - state.pendingSinceS >= delayS;
  }

  /** Protection status word bits 0–10 (bit 12, the software lock, is added by the model). */
  get bits(): number {
    let bits = 0;
    for (const [rule, state] of this.#states) if (state.active) bits |= 1 << rule.bit;
    return bits;
  }

  blocks(direction: Direction): boolean {
    for (const [rule, state] of this.#states) if (state.active && rule.blocks === direction) return true;
    return false;
  }
}

/**
 * A parallel bank seen as one battery, for the plain `<prefix>/battery/*` topics that Accu-Solar reads when
 * several batteries are configured. Pure. In parallel, currents and capacities add while the voltage is
 * shared, so: summed current, power and capacities; capacity-weighted SoC; mean voltage and temperature;
 * all cells in battery order. Only members the caller passes (online, with a reading) contribute.
 */
import { mean, type Telemetry } from "../publish/format.js";

export interface BankMember {
  batteryId: string;
  telemetry: Telemetry;
  /** Clock time (ms) of the member's reading. */
  time: number;
}

export interface BankTelemetry extends Telemetry {
  /** Ids of the members that contributed, in the order given (battery order). */
  contributing: string[];
  /** How many batteries are configured, online or not. */
  configured: number;
  /** The newest member reading time (ms). */
  time: number;
}

const sum = (values: readonly number[]): number => values.reduce((total, v) => total + v, 0);

/**
 * SoC weighted by each battery's full capacity; a plain mean when no capacity is known (all zero) so a
 * misconfigured BMS still yields a number rather than NaN.
 */
function weightedSoc(members: readonly BankMember[]): number {
  const weights = members.map((m) => m.telemetry.fullAh);
  const total = sum(weights);
  if (total <= 0) return mean(members.map((m) => m.telemetry.socPct)) ?? 0;
  return sum(members.map((m, i) => m.telemetry.socPct * (weights[i] as number))) / total;
}

/** Returns undefined when no member contributes (the caller then clears the plain topics). */
export function aggregateBank(members: readonly BankMember[], configured: number): BankTelemetry | undefined {
  if (members.length === 0) return undefined;
  const temps = members.flatMap((m) =>
    m.telemetry.temperatureC === undefined ? [] : [m.telemetry.temperatureC],
  );
  return {
    voltageV: mean(members.map((m) => m.telemetry.voltageV)) as number,
    currentA: sum(members.map((m) => m.telemetry.currentA)),
    socPct: weightedSoc(members),
    powerW: sum(members.map((m) => m.telemetry.powerW)),
    temperatureC: mean(temps),
    // Not additive: the most-cycled battery is the one that ages the bank.
    cycles: Math.max(...members.map((m) => m.telemetry.cycles)),
    remainingAh: sum(members.map((m) => m.telemetry.remainingAh)),
    fullAh: sum(members.map((m) => m.telemetry.fullAh)),
    cellsMv: members.flatMap((m) => m.telemetry.cellsMv),
    contributing: members.map((m) => m.batteryId),
    configured,
    time: Math.max(...members.map((m) => m.time)),
  };
}

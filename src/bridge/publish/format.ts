/**
 * Numbers as the Accu-Solar topics print them (the original Python bridge's "MQTT Topics Published" table,
 * docs/mqtt.md): plain numbers without units, fixed decimals. A battery's or a bank's values are formatted
 * ONCE (`formatValues`); the topics, the `status` JSON (numbers parsed back from the same strings, so a
 * consumer that reads both sees identical values) and the log line all use that result.
 */

import type { TelemetryField } from "../mqtt/topics.js";
import type { BatteryValues } from "../state/battery-values.js";

/** Decimals per topic (the guide's examples: 13.45, 9.93, 71, 133.6, 9.0, 27, 198.4, 280.0). */
export const DECIMALS = {
  voltage: 2,
  current: 2,
  soc: 0,
  power: 1,
  temperature: 1,
  cycles: 0,
  capacity: 1,
  cell: 3,
} as const;

/**
 * Rounds half away from zero in decimal, not in binary (1.005 → 1.01), and never yields "-0": a negative
 * value that rounds to 0 is -0 here, which `toFixed` prints without a sign (ECMA-262 Number.prototype.toFixed).
 */
export function fixed(value: number, decimals: number): string {
  const factor = 10 ** decimals;
  const magnitude = Math.round(Math.abs(value) * factor + 1e-7) / factor;
  return (Math.sign(value) * magnitude).toFixed(decimals);
}

/** The number a consumer parses back from `fixed()`: every rounded number the bridge publishes. */
export function rounded(value: number, decimals: number): number {
  return Number(fixed(value, decimals));
}

/** Cell voltages in volts, 3 decimals, as the Python bridge printed them (json.dumps: `[3.36, 3.361]`). */
export function cellsVolts(cellsMv: readonly number[]): number[] {
  return cellsMv.map((mv) => rounded(mv / 1000, DECIMALS.cell));
}

/** One battery's (or the bank's) values, formatted once. */
export interface FormattedValues {
  /** Payload per topic; `undefined` = no value (the topic is cleared instead). */
  payloads: Record<TelemetryField, string | undefined>;
  /** The keys Accu-Solar reads from `status`, parsed from `payloads`. */
  accuSolarKeys: Record<string, number | number[]>;
}

export function formatValues(v: BatteryValues): FormattedValues {
  const volts = cellsVolts(v.cellsMv);
  const payloads: FormattedValues["payloads"] = {
    voltage: fixed(v.voltageV, DECIMALS.voltage),
    current: fixed(v.currentA, DECIMALS.current),
    soc: fixed(v.socPct, DECIMALS.soc),
    power: fixed(v.powerW, DECIMALS.power),
    temperature: v.temperatureC === undefined ? undefined : fixed(v.temperatureC, DECIMALS.temperature),
    cycles: fixed(v.cycles, DECIMALS.cycles),
    capacity_remain: fixed(v.remainingAh, DECIMALS.capacity),
    capacity_full: fixed(v.nominalAh, DECIMALS.capacity),
    cells: `[${volts.join(", ")}]`,
  };
  // accu-solar-client: status overrides the single topics; `temp` is left out without an NTC rather than
  // faking 25 °C as the Python bridge did.
  const keys: Record<string, number | number[]> = {
    voltage: Number(payloads.voltage),
    current: Number(payloads.current),
    soc: Number(payloads.soc),
    power: Number(payloads.power),
  };
  if (payloads.temperature !== undefined) keys.temp = Number(payloads.temperature);
  keys.cycles = Number(payloads.cycles);
  keys.capacity_remain = Number(payloads.capacity_remain);
  keys.capacity_full = Number(payloads.capacity_full);
  keys.cells = volts;
  return { payloads, accuSolarKeys: keys };
}

/** `Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27` (the Python bridge's line). */
export function publishLogLine(formatted: FormattedValues, batteryId?: string): string {
  const p = formatted.payloads;
  const temp = p.temperature === undefined ? "Temp n/a" : `Temp ${p.temperature}°C`;
  const line = `Published → ${p.voltage}V | ${p.current}A | SoC ${p.soc}% | ${p.power}W | ${temp} | Cycles ${p.cycles}`;
  return batteryId === undefined ? line : `[${batteryId}] ${line}`;
}

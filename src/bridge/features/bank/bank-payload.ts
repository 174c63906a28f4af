/**
 * Wire form of the bank view: the `<prefix>/bank/status` JSON and the scalar `<prefix>/bank/<field>`
 * topics. Keys are snake_case; numbers are rounded once here so the JSON and the topics agree.
 * A value that does not exist right now (no online battery, idle current) is `null` in the JSON and
 * an empty retained payload (which clears the retained value) on its scalar topic.
 */
import type { BankView } from "./bank-view.js";

function round(value: number | null, decimals: number): number | null {
  if (value === null) return null;
  const factor = 10 ** decimals;
  const r = Math.round(value * factor) / factor;
  return Object.is(r, -0) ? 0 : r;
}

/** Scalar fields published as `<prefix>/bank/<field>`, in publish order. */
export function bankScalars(view: BankView): Record<string, number | string | null> {
  return {
    batteries_online: view.batteriesOnline,
    batteries_configured: view.batteriesConfigured,
    current: round(view.currentA, 2),
    power: round(view.powerW, 1),
    voltage_mean: round(view.voltageMeanV, 2),
    soc_mean: round(view.socMeanPct, 1),
    remaining_ah: round(view.remainingAh, 1),
    full_ah: round(view.fullAh, 1),
    cell_min_v: round(view.cellMin?.voltageV ?? null, 3),
    cell_min_battery: view.cellMin?.batteryId ?? null,
    cell_min_index: view.cellMin?.cell ?? null,
    cell_max_v: round(view.cellMax?.voltageV ?? null, 3),
    cell_max_battery: view.cellMax?.batteryId ?? null,
    cell_max_index: view.cellMax?.cell ?? null,
    cell_spread_mv: view.cellSpreadMv,
    soc_max_deviation: round(view.socDeviation?.max ?? null, 1),
    soc_max_deviation_battery: view.socDeviation?.batteryId ?? null,
    voltage_max_deviation: round(view.voltageDeviation?.max ?? null, 3),
    voltage_max_deviation_battery: view.voltageDeviation?.batteryId ?? null,
    health_worst: view.worstHealth?.health ?? null,
    health_worst_battery: view.worstHealth?.batteryId ?? null,
    time_to_empty_h: round(view.timeToEmptyH, 2),
    time_to_full_h: round(view.timeToFullH, 2),
  };
}

/** The `<prefix>/bank/status` snapshot: every scalar plus one row per online battery. */
export function bankStatusJson(view: BankView, time: number): Record<string, unknown> {
  return {
    ...bankScalars(view),
    batteries: view.members.map((m) => ({
      battery_id: m.batteryId,
      soc: m.socPct,
      voltage: round(m.voltageV, 2),
      current: round(m.currentA, 2),
      soc_deviation: round(m.socDeviation, 1),
      voltage_deviation: round(m.voltageDeviation, 3),
      cell_spread_mv: m.cellSpreadMv,
      health: m.health,
    })),
    timestamp: new Date(time).toISOString(),
  };
}

/** Payload for a scalar topic; `""` (clears the retained value) when there is no value. */
export function scalarPayload(value: number | string | null): string {
  return value === null ? "" : String(value);
}

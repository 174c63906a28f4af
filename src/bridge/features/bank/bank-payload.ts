/**
 * Wire form of the bank view: the `<prefix>/bank/status` JSON and the scalar `<prefix>/bank/<field>`
 * topics, from the one bank computation (state/bank.ts). Keys are snake_case; numbers are rounded once
 * here with the same rounding as every other topic (publish/format.ts), so `<prefix>/bank/current` and the
 * plain `<prefix>/battery/current` carry the same number. A value that does not exist right now (no online
 * battery, idle current) is `null` in the JSON and an empty retained payload (which clears the retained
 * value) on its scalar topic.
 */
import { rounded } from "../../publish/format.js";
import type { BankUpdate } from "../../state/bank-tracker.js";

function round(value: number | null | undefined, decimals: number): number | null {
  return value === null || value === undefined ? null : rounded(value, decimals);
}

/** Scalar fields published as `<prefix>/bank/<field>`, in publish order. */
export function bankScalars({ bank, configured }: BankUpdate): Record<string, number | string | null> {
  const v = bank?.values;
  return {
    batteries_online: bank?.batteryIds.length ?? 0,
    batteries_configured: configured,
    current: round(v?.currentA ?? 0, 2),
    power: round(v?.powerW ?? 0, 1),
    voltage_mean: round(v?.voltageV, 2),
    soc_mean: round(v?.socPct, 1),
    remaining_ah: round(v?.remainingAh ?? 0, 1),
    full_ah: round(v?.fullChargeAh ?? 0, 1),
    cell_min_v: round(bank?.cellMin && bank.cellMin.mv / 1000, 3),
    cell_min_battery: bank?.cellMin?.batteryId ?? null,
    cell_min_index: bank?.cellMin?.cell ?? null,
    cell_max_v: round(bank?.cellMax && bank.cellMax.mv / 1000, 3),
    cell_max_battery: bank?.cellMax?.batteryId ?? null,
    cell_max_index: bank?.cellMax?.cell ?? null,
    cell_spread_mv: v?.cellStats?.spreadMv ?? null,
    soc_max_deviation: round(bank?.socDeviation.max, 1),
    soc_max_deviation_battery: bank?.socDeviation.batteryId ?? null,
    voltage_max_deviation: round(bank?.voltageDeviation.max, 3),
    voltage_max_deviation_battery: bank?.voltageDeviation.batteryId ?? null,
    health_worst: bank?.worstHealth?.health ?? null,
    health_worst_battery: bank?.worstHealth?.batteryId ?? null,
    time_to_empty_h: round(bank?.timeToEmptyH, 2),
    time_to_full_h: round(bank?.timeToFullH, 2),
  };
}

/** The `<prefix>/bank/status` snapshot: every scalar plus one row per online battery. */
export function bankStatusJson(update: BankUpdate): Record<string, unknown> {
  return {
    ...bankScalars(update),
    batteries: (update.bank?.members ?? []).map((m) => ({
      battery_id: m.batteryId,
      soc: m.values.socPct,
      voltage: rounded(m.values.voltageV, 2),
      current: rounded(m.values.currentA, 2),
      soc_deviation: rounded(m.socDeviation, 1),
      voltage_deviation: rounded(m.voltageDeviation, 3),
      cell_spread_mv: m.values.cellStats?.spreadMv ?? null,
      health: m.values.health ?? null,
    })),
    timestamp: new Date(update.time).toISOString(),
  };
}

/** Payload for a scalar topic; `""` (clears the retained value) when there is no value. */
export function scalarPayload(value: number | string | null): string {
  return value === null ? "" : String(value);
}

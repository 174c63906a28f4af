/**
 * One battery as the console shows it: JSON with snake_case keys (the API's and the page's shape,
 * docs/cli-emu.md "Console"). Derived values use the same helpers as the bridge, so the console and the
 * published telemetry agree (power, cell statistics, health, protection names).
 */
import { flagNames, PROTECTION_FLAGS } from "../../protocol/registers/basic-info.js";
import { cellStats, healthForSpread, powerW } from "../../protocol/telemetry.js";
import type { EmulatedBattery } from "../battery.js";
import { formatFaultSpec } from "../behaviors/parse-fault.js";
import type { Endpoint } from "../serve.js";

export interface BatteryState {
  n: number;
  address: string;
  name: string;
  model: string;
  scenario: string | null;
  speed: number;
  online: boolean;
  connected: boolean;
  endpoints: string[];
  time_s: number;
  voltage_v: number;
  current_a: number;
  demand_a: number;
  power_w: number;
  soc_pct: number;
  remaining_ah: number;
  nominal_ah: number;
  cycles: number;
  cells_mv: number[];
  cell_offset_mv: number[];
  /** Per cell, whether its balance bit is set (bit 0 = cell 1). */
  balancing: boolean[];
  min_cell: number;
  max_cell: number;
  spread_mv: number;
  health: string;
  temperatures_c: number[];
  protection: string[];
  protection_raw: number;
  charge_fet: boolean;
  discharge_fet: boolean;
  charge_fet_forced_off: boolean;
  discharge_fet_forced_off: boolean;
  /** The scenario's and command line's faults, then the console's. */
  faults: string[];
  console_faults: string[];
  fault_count: number;
  requests: number;
}

const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

export function batteryState(
  battery: EmulatedBattery,
  index: number,
  endpoints: readonly Endpoint[] = [],
): BatteryState {
  const s = battery.snapshot();
  const stats = cellStats(s.cellsMv);
  return {
    n: index + 1,
    address: battery.address,
    name: battery.profile.bleName,
    model: battery.profile.model,
    scenario: battery.scenarioName ?? null,
    speed: battery.speed,
    online: battery.online,
    connected: battery.isConnected,
    endpoints: endpoints.map((e) => e.description),
    time_s: round(s.timeS, 1),
    voltage_v: s.voltageV,
    current_a: s.currentA,
    demand_a: round(s.demandA, 2),
    power_w: round(powerW(s.voltageV, s.currentA), 1),
    soc_pct: s.socPct,
    remaining_ah: s.remainingAh,
    nominal_ah: s.nominalAh,
    cycles: s.cycles,
    cells_mv: s.cellsMv,
    cell_offset_mv: s.cellOffsetsMv,
    balancing: s.cellsMv.map((_, i) => ((s.balanceRaw >>> i) & 1) === 1),
    min_cell: stats?.minCell ?? 0,
    max_cell: stats?.maxCell ?? 0,
    spread_mv: s.spreadMv,
    health: healthForSpread(s.spreadMv),
    temperatures_c: s.temperaturesC,
    protection: flagNames(s.protectionRaw, PROTECTION_FLAGS),
    protection_raw: s.protectionRaw,
    charge_fet: (s.fetRaw & 0b01) !== 0,
    discharge_fet: (s.fetRaw & 0b10) !== 0,
    charge_fet_forced_off: (s.forcedOffMask & 0b01) !== 0,
    discharge_fet_forced_off: (s.forcedOffMask & 0b10) !== 0,
    faults: [...battery.faults.map(formatFaultSpec), ...battery.consoleFaults],
    console_faults: [...battery.consoleFaults],
    fault_count: battery.faultCount,
    requests: battery.requests.length,
  };
}

/**
 * Home Assistant entities of the "Battery bank" device: read from the bank view's `<prefix>/bank/status`
 * JSON (bank-payload.ts keys) and the bank energy totals `<prefix>/bank/energy/<field>`.
 * Null bank values (no online battery, idle current) render "None", which HA shows as unknown.
 */
import {
  CELL_STAT_ENTITIES,
  CURRENT_ENTITY,
  ENERGY_ENTITIES,
  type HaEntity,
  json,
  POWER_ENTITY,
  VOLTAGE,
} from "./ha-entity.js";

const HOURS = {
  component: "sensor",
  deviceClass: "duration",
  unit: "h",
  stateClass: "measurement",
  precision: 1,
} as const;

const BANK_ENTITIES: readonly HaEntity[] = [
  CURRENT_ENTITY,
  POWER_ENTITY,
  { key: "voltage", name: "Mean voltage", ...VOLTAGE, precision: 2, state: json("voltage_mean") },
  {
    key: "soc",
    name: "Mean state of charge",
    component: "sensor",
    deviceClass: "battery",
    unit: "%",
    stateClass: "measurement",
    precision: 0,
    state: json("soc_mean"),
  },
  {
    key: "capacity_remaining",
    name: "Remaining capacity",
    component: "sensor",
    unit: "Ah",
    stateClass: "measurement",
    precision: 1,
    icon: "mdi:battery-50",
    state: json("remaining_ah"),
  },
  {
    key: "capacity_full",
    name: "Full capacity",
    component: "sensor",
    unit: "Ah",
    stateClass: "measurement",
    precision: 1,
    icon: "mdi:battery",
    state: json("full_ah"),
  },
  ...CELL_STAT_ENTITIES,
  {
    key: "soc_max_deviation",
    name: "Largest SoC deviation",
    component: "sensor",
    unit: "%",
    stateClass: "measurement",
    precision: 1,
    icon: "mdi:approximately-equal",
    state: json("soc_max_deviation"),
  },
  {
    key: "voltage_max_deviation",
    name: "Largest voltage deviation",
    ...VOLTAGE,
    precision: 3,
    state: json("voltage_max_deviation"),
  },
  {
    key: "health",
    name: "Worst cell balance health",
    component: "sensor",
    deviceClass: "enum",
    options: ["Normal", "Warning", "Critical"],
    icon: "mdi:scale-balance",
    state: json("health_worst"),
  },
  { key: "time_to_empty", name: "Time to empty", ...HOURS, state: json("time_to_empty_h") },
  { key: "time_to_full", name: "Time to full", ...HOURS, state: json("time_to_full_h") },
  {
    key: "batteries_online",
    name: "Batteries online",
    component: "sensor",
    icon: "mdi:battery-check",
    state: json("batteries_online"),
  },
];

export function bankEntitiesFor(options: { energy: boolean }): HaEntity[] {
  return [...BANK_ENTITIES, ...(options.energy ? ENERGY_ENTITIES : [])];
}

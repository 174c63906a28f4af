/**
 * The shape of a Home Assistant entity row, and the helpers the entity tables are written with
 * (ha-entities.ts for each battery, ha-bank-entities.ts for the bank).
 */

export type HaComponent = "sensor" | "binary_sensor" | "switch";

export interface HaEntity {
  /** Unique-id suffix and discovery object-id suffix: [a-z0-9_] only. */
  key: string;
  component: HaComponent;
  name: string;
  deviceClass?: string;
  unit?: string;
  stateClass?: "measurement" | "total_increasing";
  /** Enum sensors: the possible states. */
  options?: readonly string[];
  precision?: number;
  diagnostic?: boolean;
  icon?: string;
  /**
   * "status" = the target's status JSON with `template`; otherwise a topic leaf under the target's base,
   * read as is or through `template` (a JSON leaf such as `link`).
   */
  state: { topic: "status"; template: string } | { topic: string; template?: string };
  /** Switches: the command topic leaf under the target's base (payloads ON/OFF, src/bridge/features/control). */
  command?: string;
}

/**
 * A status-JSON state. The publisher clears the retained status (empty payload) when a battery goes
 * offline; `value_json` is then undefined, and rendering "None" (HA: state unknown) avoids a template
 * error in Home Assistant's log for every entity.
 */
export function fromStatus(expression: string): { topic: "status"; template: string } {
  return { topic: "status", template: `{{ (${expression}) if value_json is defined else None }}` };
}

/** The value as the publisher rounded it. */
export function json(path: string): { topic: "status"; template: string } {
  return fromStatus(`value_json.${path}`);
}

/** A binary sensor: HA's default payload_on/payload_off are "ON"/"OFF". */
export function flag(condition: string): { topic: "status"; template: string } {
  return fromStatus(`'ON' if ${condition} else 'OFF'`);
}

export const VOLTAGE = {
  component: "sensor",
  deviceClass: "voltage",
  unit: "V",
  stateClass: "measurement",
} as const;

/** Current and power read from the status JSON: the same entity for one battery and for the bank. */
export const CURRENT_ENTITY: HaEntity = {
  key: "current",
  name: "Current",
  component: "sensor",
  deviceClass: "current",
  unit: "A",
  stateClass: "measurement",
  precision: 2,
  state: json("current"),
};

export const POWER_ENTITY: HaEntity = {
  key: "power",
  name: "Power",
  component: "sensor",
  deviceClass: "power",
  unit: "W",
  stateClass: "measurement",
  precision: 1,
  state: json("power"),
};

/** Lowest/highest cell and spread, read from the status JSON: the same for one battery and for the bank. */
export const CELL_STAT_ENTITIES: readonly HaEntity[] = [
  { key: "cell_min", name: "Lowest cell voltage", ...VOLTAGE, precision: 3, state: json("cell_min_v") },
  { key: "cell_max", name: "Highest cell voltage", ...VOLTAGE, precision: 3, state: json("cell_max_v") },
  {
    key: "cell_spread",
    name: "Cell voltage spread",
    ...VOLTAGE,
    unit: "mV",
    precision: 0,
    state: json("cell_spread_mv"),
  },
];

/** An energy-counter entity: read as is from `<base>/energy/<field>` (energy-feature.ts). */
function counter(key: string, name: string, field: string, unit: "kWh" | "Ah"): HaEntity {
  const base = {
    key,
    name,
    component: "sensor",
    unit,
    stateClass: "total_increasing",
    precision: 3,
  } as const;
  const state = { topic: `energy/${field}` };
  return unit === "kWh" ? { ...base, deviceClass: "energy", state } : { ...base, icon: "mdi:counter", state };
}

export const ENERGY_ENTITIES: readonly HaEntity[] = [
  counter("energy_charged", "Energy charged", "charged_kwh", "kWh"),
  counter("energy_discharged", "Energy discharged", "discharged_kwh", "kWh"),
  counter("charge_charged", "Charge charged", "charged_ah", "Ah"),
  counter("charge_discharged", "Charge discharged", "discharged_ah", "Ah"),
];

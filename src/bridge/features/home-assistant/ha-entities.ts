/**
 * The Home Assistant entity table: one row per entity kind. Everything a discovery payload says about an
 * entity (component, device class, unit, state class, where its state comes from) is data here;
 * ha-payload.ts adds the parts every entity shares (device, availability, origin, unique id).
 *
 * State source: the publisher's per-battery status JSON (`<prefix>/battery/<id>/status`, src/bridge/publish/status-json.ts)
 * read with a value_template, or an energy-counter topic (energy-feature.ts) read as is. The status keys
 * used here are exactly the publisher's; test/bridge/features/home-assistant checks them against `batteryStatus()` output.
 *
 * Capacities (Ah) and cycles have no Home Assistant device class: HA defines none for electric charge,
 * and a device_class with a unit it does not list is rejected. They still get a unit and a state class,
 * which is what long-term statistics need.
 */

import {
  CELL_STAT_ENTITIES,
  CURRENT_ENTITY,
  ENERGY_ENTITIES,
  flag,
  fromStatus,
  type HaEntity,
  json,
  POWER_ENTITY,
  VOLTAGE,
} from "./ha-entity.js";
import { linkEntitiesFor } from "./ha-link-entities.js";

export type { HaEntity };

/** A JBD 0x03 protection bit (docs/protocol.md §3, "Protection bits"). */
interface ProtectionBit {
  bit: number;
  key: string;
  name: string;
}

const PROTECTION_BITS: readonly ProtectionBit[] = [
  { bit: 0, key: "cell_overvoltage", name: "Cell overvoltage protection" },
  { bit: 1, key: "cell_undervoltage", name: "Cell undervoltage protection" },
  { bit: 2, key: "pack_overvoltage", name: "Pack overvoltage protection" },
  { bit: 3, key: "pack_undervoltage", name: "Pack undervoltage protection" },
  { bit: 4, key: "charge_overtemperature", name: "Charge overtemperature protection" },
  { bit: 5, key: "charge_undertemperature", name: "Charge undertemperature protection" },
  { bit: 6, key: "discharge_overtemperature", name: "Discharge overtemperature protection" },
  { bit: 7, key: "discharge_undertemperature", name: "Discharge undertemperature protection" },
  { bit: 8, key: "charge_overcurrent", name: "Charge overcurrent protection" },
  { bit: 9, key: "discharge_overcurrent", name: "Discharge overcurrent protection" },
  { bit: 10, key: "short_circuit", name: "Short circuit protection" },
  { bit: 11, key: "frontend_ic_error", name: "Front-end IC error" },
  { bit: 12, key: "mosfet_software_lock", name: "MOSFET software lock" },
  { bit: 13, key: "charge_mosfet_breakdown", name: "Charge MOSFET breakdown" },
  { bit: 14, key: "discharge_mosfet_breakdown", name: "Discharge MOSFET breakdown" },
];

/** Entities every battery has. */
const BATTERY_ENTITIES: readonly HaEntity[] = [
  { key: "voltage", name: "Voltage", ...VOLTAGE, precision: 2, state: json("voltage") },
  CURRENT_ENTITY,
  POWER_ENTITY,
  {
    key: "soc",
    name: "State of charge",
    component: "sensor",
    deviceClass: "battery",
    unit: "%",
    stateClass: "measurement",
    precision: 0,
    state: json("soc"),
  },
  {
    key: "capacity_remaining",
    name: "Remaining capacity",
    component: "sensor",
    unit: "Ah",
    stateClass: "measurement",
    precision: 1,
    icon: "mdi:battery-50",
    state: json("capacity_remain"),
  },
  {
    key: "capacity_nominal",
    name: "Nominal capacity",
    component: "sensor",
    unit: "Ah",
    stateClass: "measurement",
    precision: 1,
    icon: "mdi:battery",
    diagnostic: true,
    state: json("capacity_full"),
  },
  {
    key: "cycles",
    name: "Charge cycles",
    component: "sensor",
    unit: "cycles",
    stateClass: "total_increasing",
    precision: 0,
    icon: "mdi:battery-sync",
    state: json("cycles"),
  },
  ...CELL_STAT_ENTITIES,
  {
    key: "health",
    name: "Cell balance health",
    component: "sensor",
    deviceClass: "enum",
    options: ["Normal", "Warning", "Critical"],
    icon: "mdi:scale-balance",
    state: json("health"),
  },
  {
    key: "balancing",
    name: "Balancing",
    component: "binary_sensor",
    icon: "mdi:scale-balance",
    state: flag("value_json.balancing_cells"),
  },
  {
    key: "balancing_cells",
    name: "Balancing cells",
    component: "sensor",
    icon: "mdi:scale-balance",
    diagnostic: true,
    state: fromStatus("value_json.balancing_cells | join(', ') if value_json.balancing_cells else 'none'"),
  },
  {
    key: "charge_fet",
    name: "Charge MOSFET",
    component: "binary_sensor",
    deviceClass: "power",
    state: flag("value_json.charge_fet"),
  },
  {
    key: "discharge_fet",
    name: "Discharge MOSFET",
    component: "binary_sensor",
    deviceClass: "power",
    state: flag("value_json.discharge_fet"),
  },
  {
    key: "protection",
    name: "Protection",
    component: "binary_sensor",
    deviceClass: "problem",
    state: flag("(value_json.protection_raw | int(0)) > 0"),
  },
  ...PROTECTION_BITS.map(
    (p): HaEntity => ({
      key: `protection_${p.key}`,
      name: p.name,
      component: "binary_sensor",
      deviceClass: "problem",
      diagnostic: true,
      state: flag(`(value_json.protection_raw | int(0)) | bitwise_and(${1 << p.bit}) > 0`),
    }),
  ),
];

const FULL_CHARGE_ENTITY: HaEntity = {
  key: "capacity_full",
  name: "Full charge capacity",
  component: "sensor",
  unit: "Ah",
  stateClass: "measurement",
  precision: 1,
  icon: "mdi:battery",
  state: json("full_charge_capacity"),
};

const MEAN_TEMPERATURE: HaEntity = {
  key: "temperature",
  name: "Temperature",
  component: "sensor",
  deviceClass: "temperature",
  unit: "°C",
  stateClass: "measurement",
  precision: 1,
  state: json("temp"),
};

/**
 * FET switches, only with --allow-control: commands go to `set/charge|discharge` (src/bridge/features/control) and
 * the state is the status JSON's FET flag, i.e. the state the BMS confirmed on its last reading.
 */
const CONTROL_ENTITIES: readonly HaEntity[] = [
  {
    key: "charge_fet_control",
    name: "Charge MOSFET control",
    component: "switch",
    icon: "mdi:battery-arrow-up",
    state: flag("value_json.charge_fet"),
    command: "set/charge",
  },
  {
    key: "discharge_fet_control",
    name: "Discharge MOSFET control",
    component: "switch",
    icon: "mdi:battery-arrow-down",
    state: flag("value_json.discharge_fet"),
    command: "set/discharge",
  },
];

/** What a battery's entity set depends on (learned from its readings). */
export interface BatteryShape {
  cellCount: number;
  ntcCount: number;
  /** The DP04S 0x03 extension (full-charge capacity) is present (docs/protocol.md §3.2). */
  hasFullCharge: boolean;
  /** The energy-counter feature is running. */
  energy: boolean;
  /** MOSFET control is allowed (--allow-control): the FETs get switches. */
  control?: boolean;
  /** Link-health diagnostics (`<base>/link`); `rssi` where there is a radio (BLE). */
  link?: { rssi: boolean };
}

export function entitiesFor(shape: BatteryShape): HaEntity[] {
  const cells = Array.from(
    { length: shape.cellCount },
    (_, i): HaEntity => ({
      key: `cell_${i + 1}`,
      name: `Cell ${i + 1} voltage`,
      ...VOLTAGE,
      precision: 3,
      state: json(`cells[${i}]`),
    }),
  );
  const temperatures = Array.from(
    { length: shape.ntcCount },
    (_, i): HaEntity => ({
      ...MEAN_TEMPERATURE,
      key: `temperature_${i + 1}`,
      name: `Temperature ${i + 1}`,
      state: json(`temperatures[${i}]`),
    }),
  );
  return [
    ...BATTERY_ENTITIES,
    ...(shape.hasFullCharge ? [FULL_CHARGE_ENTITY] : []),
    ...(shape.ntcCount > 0 ? [MEAN_TEMPERATURE, ...temperatures] : []),
    ...cells,
    ...(shape.energy ? ENERGY_ENTITIES : []),
    ...(shape.control ? CONTROL_ENTITIES : []),
    ...(shape.link ? linkEntitiesFor(shape.link) : []),
  ];
}

/**
 * Home Assistant's documented rules for MQTT discovery configs of the two components we publish, written
 * down from the HA docs (integrations/mqtt "Discovery" + "sensor.mqtt" + "binary_sensor.mqtt" option
 * lists; developers "Sensor entity" device classes, units and state classes; binary_sensor device
 * classes). `problems(topic, payload)` lists every rule a config breaks; empty = HA accepts it.
 */

/** `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`; ids are [a-zA-Z0-9_-]. */
const TOPIC_RE =
  /^homeassistant\/(sensor|binary_sensor|switch)\/(?:[a-zA-Z0-9_-]+\/)?([a-zA-Z0-9_-]+)\/config$/;

const COMMON_KEYS = [
  "availability",
  "availability_mode",
  "availability_template",
  "availability_topic",
  "default_entity_id",
  "device",
  "device_class",
  "enabled_by_default",
  "encoding",
  "entity_category",
  "entity_picture",
  "expire_after",
  "force_update",
  "icon",
  "json_attributes_template",
  "json_attributes_topic",
  "name",
  "object_id",
  "origin",
  "payload_available",
  "payload_not_available",
  "platform",
  "qos",
  "state_topic",
  "unique_id",
  "value_template",
];

const ALLOWED_KEYS: Record<string, Set<string>> = {
  sensor: new Set([
    ...COMMON_KEYS,
    "last_reset_value_template",
    "options",
    "state_class",
    "suggested_display_precision",
    "unit_of_measurement",
  ]),
  binary_sensor: new Set([...COMMON_KEYS, "off_delay", "payload_off", "payload_on"]),
  // switch.mqtt: no expire_after, force_update or off_delay; command and state payloads
  switch: new Set([
    ...COMMON_KEYS.filter((k) => k !== "expire_after" && k !== "force_update"),
    "command_template",
    "command_topic",
    "optimistic",
    "payload_off",
    "payload_on",
    "retain",
    "state_off",
    "state_on",
  ]),
};

/** Required options per platform (the docs mark only these as Required). */
const REQUIRED_KEYS: Record<string, string[]> = {
  sensor: ["state_topic"],
  binary_sensor: ["state_topic"],
  switch: ["command_topic"],
};

/** Sensor device classes we may use → the units HA accepts for them. */
const SENSOR_UNITS: Record<string, Set<string>> = {
  battery: new Set(["%"]),
  current: new Set(["A", "mA"]),
  data_size: new Set([
    "bit",
    "kbit",
    "Mbit",
    "Gbit",
    "B",
    "kB",
    "MB",
    "GB",
    "TB",
    "KiB",
    "MiB",
    "GiB",
    "TiB",
  ]),
  duration: new Set(["d", "h", "min", "s", "ms", "µs"]),
  energy: new Set([
    "J",
    "kJ",
    "MJ",
    "GJ",
    "mWh",
    "Wh",
    "kWh",
    "MWh",
    "GWh",
    "TWh",
    "cal",
    "kcal",
    "Mcal",
    "Gcal",
  ]),
  power: new Set(["mW", "W", "kW", "MW", "GW", "TW", "BTU/h"]),
  signal_strength: new Set(["dB", "dBm"]),
  temperature: new Set(["°C", "°F", "K"]),
  voltage: new Set(["µV", "mV", "V", "kV", "MV"]),
};

/** State classes HA allows per device class (sensor DEVICE_CLASS_STATE_CLASSES). */
const SENSOR_STATE_CLASSES: Record<string, Set<string>> = {
  battery: new Set(["measurement"]),
  current: new Set(["measurement"]),
  data_size: new Set(["measurement", "total", "total_increasing"]),
  duration: new Set(["measurement", "total", "total_increasing"]),
  energy: new Set(["total", "total_increasing"]),
  power: new Set(["measurement"]),
  signal_strength: new Set(["measurement"]),
  temperature: new Set(["measurement"]),
  voltage: new Set(["measurement"]),
  enum: new Set(),
};

const STATE_CLASSES = new Set(["measurement", "total", "total_increasing"]);

const BINARY_DEVICE_CLASSES = new Set(
  "battery battery_charging carbon_monoxide cold connectivity door garage_door gas heat light lock moisture motion moving occupancy opening plug power presence problem running safety smoke sound tamper update vibration window".split(
    " ",
  ),
);

const ENTITY_CATEGORIES: Record<string, Set<string>> = {
  sensor: new Set(["diagnostic"]), // "config" is not allowed for sensors
  binary_sensor: new Set(["diagnostic"]),
  switch: new Set(["config", "diagnostic"]),
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function availabilityProblems(p: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (p.availability !== undefined && p.availability_topic !== undefined) {
    out.push("availability and availability_topic must not be used together");
  }
  if (p.availability !== undefined) {
    if (!Array.isArray(p.availability) || p.availability.length === 0)
      out.push("availability must be a list");
    else
      for (const a of p.availability)
        if (!isRecord(a) || typeof a.topic !== "string" || a.topic === "")
          out.push("availability entry without topic");
  }
  if (
    p.availability_mode !== undefined &&
    !["all", "any", "latest"].includes(p.availability_mode as string)
  ) {
    out.push(`availability_mode ${String(p.availability_mode)} is not all/any/latest`);
  }
  return out;
}

function deviceProblems(device: unknown): string[] {
  if (device === undefined) return [];
  if (!isRecord(device)) return ["device must be a map"];
  const ids = device.identifiers;
  const conns = device.connections;
  const out: string[] = [];
  if (ids === undefined && conns === undefined) out.push("device needs identifiers or connections");
  if (
    ids !== undefined &&
    !(Array.isArray(ids) && ids.every((i) => typeof i === "string") && ids.length > 0)
  ) {
    out.push("device.identifiers must be a non-empty list of strings");
  }
  if (
    conns !== undefined &&
    !(
      Array.isArray(conns) &&
      conns.every((c) => Array.isArray(c) && c.length === 2 && c.every((x) => typeof x === "string"))
    )
  ) {
    out.push("device.connections must be a list of [type, value] pairs");
  }
  return out;
}

function sensorProblems(p: Record<string, unknown>): string[] {
  const out: string[] = [];
  const dc = p.device_class as string | undefined;
  const unit = p.unit_of_measurement as string | undefined;
  const sc = p.state_class as string | undefined;
  if (sc !== undefined && !STATE_CLASSES.has(sc)) out.push(`unknown state_class ${sc}`);
  if (dc === "enum") {
    if (unit !== undefined || sc !== undefined) out.push("enum sensors take no unit or state_class");
    if (!Array.isArray(p.options) || p.options.length === 0) out.push("enum sensors need options");
    return out;
  }
  if (p.options !== undefined) out.push("options is only for enum sensors");
  if (dc !== undefined) {
    const units = SENSOR_UNITS[dc];
    if (!units) out.push(`device_class ${dc} is not one this validator knows`);
    else if (unit === undefined || !units.has(unit)) out.push(`unit ${String(unit)} is not valid for ${dc}`);
    const classes = SENSOR_STATE_CLASSES[dc];
    if (sc !== undefined && classes && !classes.has(sc)) out.push(`state_class ${sc} is not valid for ${dc}`);
  }
  return out;
}

export function problems(topic: string, payload: unknown): string[] {
  const m = TOPIC_RE.exec(topic);
  if (!m) return [`topic ${topic} does not match <prefix>/<component>/<object_id>/config`];
  const component = m[1] as "sensor" | "binary_sensor" | "switch";
  if (!isRecord(payload)) return ["payload must be a JSON object"];
  const out: string[] = [];
  for (const key of Object.keys(payload))
    if (!ALLOWED_KEYS[component]?.has(key)) out.push(`unknown key ${key}`);
  for (const key of REQUIRED_KEYS[component] ?? [])
    if (payload[key] === undefined) out.push(`missing ${key}`);
  if (typeof payload.unique_id === "string" && payload.unique_id !== m[2]) {
    out.push("object_id should equal unique_id (HA best practice)");
  }
  if (
    payload.expire_after !== undefined &&
    !(Number.isInteger(payload.expire_after) && (payload.expire_after as number) > 0)
  ) {
    out.push("expire_after must be a positive integer (s)");
  }
  const category = payload.entity_category as string | undefined;
  if (category !== undefined && !ENTITY_CATEGORIES[component]?.has(category)) {
    out.push(`entity_category ${category} not allowed for ${component}`);
  }
  if (
    payload.origin !== undefined &&
    !(isRecord(payload.origin) && typeof payload.origin.name === "string")
  ) {
    out.push("origin needs a name");
  }
  out.push(...availabilityProblems(payload), ...deviceProblems(payload.device));
  if (component === "sensor") out.push(...sensorProblems(payload));
  else if (component === "switch") {
    if (payload.device_class !== undefined && !["outlet", "switch"].includes(payload.device_class as string))
      out.push(`switch device_class ${String(payload.device_class)} is not valid`);
  } else if (
    payload.device_class !== undefined &&
    !BINARY_DEVICE_CLASSES.has(payload.device_class as string)
  ) {
    out.push(`binary_sensor device_class ${String(payload.device_class)} is not valid`);
  }
  return out;
}

/**
 * Turns environment variables and command-line flags into partial config layers, remembering where
 * each value came from so a validation problem names the variable or flag the user actually typed
 * (`MQTT_PORT: "abc" is not a number`, not `mqtt.port: …`).
 */

export type ConfigPath = ReadonlyArray<string | number>;

/** A partial raw config (file shape) plus the label of each value's source, keyed by pathKey(). */
export interface ConfigLayer {
  values: Record<string, unknown>;
  labels: Map<string, string>;
  problems: string[];
}

type ValueKind = "string" | "number" | "boolean" | "addresses" | "list";

interface Mapping {
  path: ConfigPath;
  kind: ValueKind;
}

/** Every environment variable the bridge reads. The first four are those of the original Python bridge (eco_worthy_bridge.py), unchanged. */
export const ENV_VARS: Readonly<Record<string, Mapping & { description: string }>> = {
  BMS_ADDRESS: {
    path: ["batteries"],
    kind: "addresses",
    description: "battery address(es), comma-separated",
  },
  MQTT_BROKER: { path: ["mqtt", "broker"], kind: "string", description: "broker host name, IP or URL" },
  MQTT_PORT: { path: ["mqtt", "port"], kind: "number", description: "broker port" },
  POLL_INTERVAL: { path: ["bridge", "poll_interval"], kind: "number", description: "seconds between reads" },
  MQTT_TOPIC_PREFIX: { path: ["mqtt", "topic_prefix"], kind: "string", description: "first topic level" },
  MQTT_USERNAME: { path: ["mqtt", "username"], kind: "string", description: "broker user" },
  MQTT_PASSWORD: { path: ["mqtt", "password"], kind: "string", description: "broker password" },
  MQTT_TLS: { path: ["mqtt", "tls"], kind: "boolean", description: "use TLS (mqtts)" },
  MQTT_CA_FILE: { path: ["mqtt", "ca_file"], kind: "string", description: "CA certificate (PEM) for TLS" },
  MQTT_CLIENT_ID: { path: ["mqtt", "client_id"], kind: "string", description: "MQTT client id" },
  MQTT_QOS: { path: ["mqtt", "qos"], kind: "number", description: "QoS of telemetry messages" },
  HA_DISCOVERY: { path: ["mqtt", "ha_discovery"], kind: "boolean", description: "Home Assistant discovery" },
  HA_DISCOVERY_PREFIX: {
    path: ["mqtt", "ha_discovery_prefix"],
    kind: "string",
    description: "Home Assistant discovery prefix",
  },
  BMS_BRIDGE_ID: {
    path: ["bridge", "id"],
    kind: "string",
    description: "this bridge's id on the site (default: the host name)",
  },
  BMS_BANK: {
    path: ["bridge", "bank"],
    kind: "string",
    description: "publish the site bank: auto (elected), always or off",
  },
  BMS_HCI: {
    path: ["bridge", "hci"],
    kind: "string",
    description: "BLE adapter (native, native:N, uart:/dev/X)",
  },
  BMS_MAX_CONNECTIONS: {
    path: ["bridge", "max_connections"],
    kind: "number",
    description: "persistent BLE links per adapter",
  },
  BMS_DISCONNECT_BETWEEN_POLLS: {
    path: ["bridge", "disconnect_between_polls"],
    kind: "boolean",
    description: "let the phone app connect between reads",
  },
  BMS_ADAPTER_GIVE_UP_AFTER: {
    path: ["bridge", "adapter_give_up_after"],
    kind: "number",
    description: "seconds a BLE adapter may stay unusable before the bridge exits with code 1",
  },
  BMS_ENERGY_STATE_FILE: {
    path: ["bridge", "energy_state_file"],
    kind: "string",
    description: "file keeping the energy counters (off when unset)",
  },
  BMS_ALLOW_CONTROL: {
    path: ["bridge", "allow_control"],
    kind: "boolean",
    description: "act on set/charge and set/discharge (MOSFET writes)",
  },
  BMS_CAPTURE_FILE: {
    path: ["bridge", "capture_file"],
    kind: "string",
    description: "record every request and response to this JSON-lines file",
  },
  BMS_MIRROR_HCI: {
    path: ["mirror"],
    kind: "list",
    description: "BLE controllers that re-advertise the batteries for the phone app, comma-separated",
  },
  LOG_LEVEL: { path: ["log", "level"], kind: "string", description: "debug, info, warn or error" },
  LOG_JSON: { path: ["log", "json"], kind: "boolean", description: "JSON log lines" },
};

/** Flags of `bms-bridge run` that set config values (commander's camelCase key → mapping). */
export const FLAG_MAPPINGS: Readonly<Record<string, Mapping & { flag: string }>> = {
  address: { flag: "--address", path: ["batteries"], kind: "addresses" },
  broker: { flag: "--broker", path: ["mqtt", "broker"], kind: "string" },
  port: { flag: "--port", path: ["mqtt", "port"], kind: "number" },
  pollInterval: { flag: "--poll-interval", path: ["bridge", "poll_interval"], kind: "number" },
  hci: { flag: "--hci", path: ["bridge", "hci"], kind: "string" },
  bridgeId: { flag: "--bridge-id", path: ["bridge", "id"], kind: "string" },
  bank: { flag: "--bank", path: ["bridge", "bank"], kind: "string" },
  topicPrefix: { flag: "--topic-prefix", path: ["mqtt", "topic_prefix"], kind: "string" },
  username: { flag: "--username", path: ["mqtt", "username"], kind: "string" },
  password: { flag: "--password", path: ["mqtt", "password"], kind: "string" },
  tls: { flag: "--tls", path: ["mqtt", "tls"], kind: "boolean" },
  caFile: { flag: "--ca-file", path: ["mqtt", "ca_file"], kind: "string" },
  clientId: { flag: "--client-id", path: ["mqtt", "client_id"], kind: "string" },
  qos: { flag: "--qos", path: ["mqtt", "qos"], kind: "number" },
  haDiscovery: { flag: "--ha-discovery", path: ["mqtt", "ha_discovery"], kind: "boolean" },
  maxConnections: { flag: "--max-connections", path: ["bridge", "max_connections"], kind: "number" },
  disconnectBetweenPolls: {
    flag: "--disconnect-between-polls",
    path: ["bridge", "disconnect_between_polls"],
    kind: "boolean",
  },
  allowControl: { flag: "--allow-control", path: ["bridge", "allow_control"], kind: "boolean" },
  adapterGiveUpAfter: {
    flag: "--adapter-give-up-after",
    path: ["bridge", "adapter_give_up_after"],
    kind: "number",
  },
  capture: { flag: "--capture", path: ["bridge", "capture_file"], kind: "string" },
  mirror: { flag: "--mirror", path: ["mirror"], kind: "list" },
  logLevel: { flag: "--log-level", path: ["log", "level"], kind: "string" },
  logJson: { flag: "--log-json", path: ["log", "json"], kind: "boolean" },
};

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

export function pathKey(path: ConfigPath): string {
  return path.map(String).join(".");
}

export function emptyLayer(): ConfigLayer {
  return { values: {}, labels: new Map(), problems: [] };
}

/** Environment variables → layer. Empty values count as unset (a systemd `Environment=X=` line). */
export function envLayer(env: Readonly<Record<string, string | undefined>>): ConfigLayer {
  const layer = emptyLayer();
  for (const [name, mapping] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") continue;
    assign(layer, mapping, raw, name);
  }
  return layer;
}

/** Parsed commander options → layer. Options left undefined by commander are not set. */
export function flagLayer(flags: Readonly<Record<string, unknown>>): ConfigLayer {
  const layer = emptyLayer();
  for (const [key, mapping] of Object.entries(FLAG_MAPPINGS)) {
    const raw = flags[key];
    if (raw === undefined) continue;
    assign(layer, mapping, raw, mapping.flag);
  }
  return layer;
}

function assign(layer: ConfigLayer, mapping: Mapping, raw: unknown, label: string): void {
  const converted = convert(mapping.kind, raw);
  if (!converted.ok) {
    layer.problems.push(`${label}: ${converted.problem}`);
    return;
  }
  setPath(layer.values, mapping.path, converted.value);
  layer.labels.set(pathKey(mapping.path), label);
}

function convert(
  kind: ValueKind,
  raw: unknown,
): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (typeof raw === "boolean" || typeof raw === "number") return { ok: true, value: raw };
  const texts = Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const text = (texts[0] ?? "").trim();
  switch (kind) {
    case "string":
      return { ok: true, value: text };
    case "number": {
      const value = Number(text);
      return text !== "" && Number.isFinite(value)
        ? { ok: true, value }
        : { ok: false, problem: `"${text}" is not a number` };
    }
    case "boolean": {
      const lower = text.toLowerCase();
      if (TRUE_WORDS.has(lower)) return { ok: true, value: true };
      if (FALSE_WORDS.has(lower)) return { ok: true, value: false };
      return { ok: false, problem: `"${text}" is not a boolean (true/false, 1/0, yes/no)` };
    }
    case "addresses":
      return { ok: true, value: commaList(texts).map((address) => ({ address })) };
    case "list":
      return { ok: true, value: commaList(texts) };
  }
}

/** `a,b` or repeated values → one list, blanks dropped. */
function commaList(texts: string[]): string[] {
  return texts
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

export function setPath(target: Record<string, unknown>, path: ConfigPath, value: unknown): void {
  let node: Record<string, unknown> = target;
  path.forEach((segment, index) => {
    const key = String(segment);
    if (index === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
}

/**
 * Overlays `top` on `base`: objects merge key by key, anything else (numbers, lists) is replaced, so
 * BMS_ADDRESS replaces a file's battery list as a whole.
 */
export function mergeLayers(base: ConfigLayer, top: ConfigLayer): ConfigLayer {
  return {
    values: mergeValues(base.values, top.values) as Record<string, unknown>,
    labels: new Map([...dropShadowed(base.labels, top.labels), ...top.labels]),
    problems: [...base.problems, ...top.problems],
  };
}

function mergeValues(base: unknown, top: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(top)) return top;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top))
    out[key] = key in out ? mergeValues(out[key], value) : value;
  return out;
}

/** Labels under a path the top layer replaced no longer describe where a value came from. */
function dropShadowed(base: Map<string, string>, top: Map<string, string>): Map<string, string> {
  const kept = new Map<string, string>();
  for (const [key, label] of base) {
    const shadowed = [...top.keys()].some((topKey) => key === topKey || key.startsWith(`${topKey}.`));
    if (!shadowed) kept.set(key, label);
  }
  return kept;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The label of the nearest labelled ancestor of `path`, else the dotted path itself. */
export function labelFor(labels: Map<string, string>, path: ConfigPath): string {
  for (let length = path.length; length > 0; length--) {
    const label = labels.get(pathKey(path.slice(0, length)));
    if (label !== undefined) return label;
  }
  return formatPath(path);
}

/** `batteries[0].address`, as a user would write it in a file. */
export function formatPath(path: ConfigPath): string {
  return path.reduce<string>(
    (out, segment) =>
      typeof segment === "number" ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment,
    "",
  );
}

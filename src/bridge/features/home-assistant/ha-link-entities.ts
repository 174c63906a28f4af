/**
 * Home Assistant diagnostic entities (entity_category diagnostic) for link health: on each battery, read
 * from `<prefix>/battery/<id>/link`; on each bridge's own "BMS bridge <id>" device, read from
 * `<prefix>/bridge/<id>/health`
 * (src/bridge/features/link-health). Counters restart at 0 with the bridge process, which
 * `total_increasing` tolerates.
 */
import type { FailureCause } from "../../../errors.js";
import type { HaEntity } from "./ha-entity.js";

const CAUSES: readonly FailureCause[] = [
  "not_advertising",
  "connect_failed",
  "gatt_missing",
  "no_reply",
  "bad_frames",
  "link_lost",
  "adapter_lost",
  "other",
];

/** A field of a JSON topic; absent fields render "None" (unknown) instead of a template error. */
function field(topic: string, path: string): { topic: string; template: string } {
  return { topic, template: `{{ value_json.${path} if value_json.${path} is defined else None }}` };
}

const count = (key: string, name: string, topic: string, path: string, icon: string): HaEntity => ({
  key,
  name,
  component: "sensor",
  stateClass: "total_increasing",
  diagnostic: true,
  icon,
  state: field(topic, path),
});

const RSSI: HaEntity = {
  key: "link_rssi",
  name: "Signal strength",
  component: "sensor",
  deviceClass: "signal_strength",
  unit: "dBm",
  stateClass: "measurement",
  diagnostic: true,
  state: field("link", "rssi"),
};

const LINK_ENTITIES: readonly HaEntity[] = [
  {
    key: "link_quality",
    name: "Link quality",
    component: "sensor",
    unit: "%",
    stateClass: "measurement",
    precision: 0,
    diagnostic: true,
    icon: "mdi:signal",
    state: field("link", "quality_pct"),
  },
  count("link_reads_failed", "Failed reads", "link", "reads_failed", "mdi:alert-circle-outline"),
  count("link_reconnects", "Reconnects", "link", "reconnects", "mdi:connection"),
  {
    key: "link_last_error",
    name: "Last link error",
    component: "sensor",
    deviceClass: "enum",
    options: [...CAUSES, "none"],
    diagnostic: true,
    icon: "mdi:alert",
    state: {
      topic: "link",
      template: "{{ value_json.last_error.cause if value_json.last_error is defined else 'none' }}",
    },
  },
];

/** A battery's link entities; RSSI only where there is a radio (BLE). */
export function linkEntitiesFor(options: { rssi: boolean }): HaEntity[] {
  return [...(options.rssi ? [RSSI] : []), ...LINK_ENTITIES];
}

/** The bridge device's entities, from `<prefix>/bridge/<id>/health` (ha-payload.ts bridgeTarget). */
export const BRIDGE_HEALTH_ENTITIES: readonly HaEntity[] = [
  {
    key: "uptime",
    name: "Uptime",
    component: "sensor",
    deviceClass: "duration",
    unit: "s",
    stateClass: "total_increasing",
    diagnostic: true,
    state: field("health", "uptime_s"),
  },
  count("adapter_losses", "Bluetooth adapter losses", "health", "adapter_losses", "mdi:bluetooth-off"),
  count("adapter_resets", "Bluetooth adapter resets", "health", "adapter_resets", "mdi:restart"),
  {
    key: "adapter_queue_depth",
    name: "Bluetooth operations waiting",
    component: "sensor",
    stateClass: "measurement",
    diagnostic: true,
    icon: "mdi:tray-full",
    state: field("health", "adapter_queue_depth"),
  },
  {
    key: "memory",
    name: "Memory (RSS)",
    component: "sensor",
    deviceClass: "data_size",
    unit: "MB",
    stateClass: "measurement",
    precision: 1,
    diagnostic: true,
    state: field("health", "rss_mb"),
  },
];

/**
 * Home Assistant MQTT discovery payloads for one battery (HA docs "MQTT Discovery", sensor and
 * binary_sensor platforms). PURE. Full key names are used, not the abbreviations, so a user reading
 * `mosquitto_sub -t 'homeassistant/#'` understands them.
 *
 * - Topic `<discovery_prefix>/<component>/<unique_id>/config`; the object id is the unique id, which HA
 *   restricts to [a-zA-Z0-9_-] (an alias containing "/" broke batmon's discovery, docs/background.md §6.13).
 * - Availability: the state of the bridge that reads the battery (its last will) AND the battery's own
 *   availability topic, `availability_mode: all` (the bank device: the site's `<prefix>/bridge/state`).
 * - `expire_after` on status-derived entities as a backstop if both availability signals are lost.
 *   Energy counters have none: they are published only when they change and stay true while idle.
 */

import { CONFIG_DEFAULTS } from "../../../config/defaults.js";
import { softwareVersionText } from "../../../protocol/telemetry.js";
import type { HaEntity } from "./ha-entities.js";

export const UNIQUE_ID_PREFIX = "bmsbridge_";
export const DEFAULT_DISCOVERY_PREFIX = CONFIG_DEFAULTS.mqtt.haDiscoveryPrefix;

export interface HaBatteryFacts {
  batteryId: string;
  /** Canonical address (src/transport/address.ts). */
  address: string;
  /** 0x05 model string, when read. */
  model?: string;
  /** 0x03 software version byte (docs/protocol.md §3). */
  softwareVersionRaw?: number;
  /** The configured human name (HA device name); default "Battery <id>". */
  name?: string;
  /** This battery's `expire_after` (s) when its poll interval differs from the default. */
  expireAfterS?: number;
}

export interface HaPayloadOptions {
  /** Bridge topic prefix, e.g. "accusolar". */
  prefix: string;
  discoveryPrefix: string;
  /** Default `expire_after` (s) for status-derived entities. */
  expireAfterS: number;
  /** The `origin` block: who publishes these configs. */
  origin: { name: string; sw_version: string; support_url?: string };
  /** This bridge's state topic (its last will); default the site's `<prefix>/bridge/state`. */
  stateTopic?: string;
  /** This bridge on the site (`bridge.id`): the bridge device is one per bridge. */
  bridgeId: string;
}

function ownStateTopic(options: Pick<HaPayloadOptions, "prefix" | "stateTopic">): string {
  return options.stateTopic ?? `${options.prefix}/bridge/state`;
}

export interface DiscoveryMessage {
  topic: string;
  uniqueId: string;
  payload: Record<string, unknown>;
}

/**
 * A stable id fragment from the address: lowercase, every run of other characters → "_".
 * `A5:C2:37:3C:76:D2` → `a5c2373c76d2`; `serial:/dev/ttyUSB0` → `serial_dev_ttyusb0`.
 */
export function addressSlug(address: string): string {
  const mac = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i.test(address);
  const text = mac ? address.replaceAll(":", "") : address;
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

export function deviceIdentifier(address: string): string {
  return `${UNIQUE_ID_PREFIX}${addressSlug(address)}`;
}

export function uniqueIdFor(address: string, entityKey: string): string {
  return `${deviceIdentifier(address)}_${entityKey}`;
}

export function deviceBlock(facts: HaBatteryFacts): Record<string, unknown> {
  const device: Record<string, unknown> = {
    identifiers: [deviceIdentifier(facts.address)],
    name: facts.name ?? `Battery ${facts.batteryId}`,
    manufacturer: "JBD",
    model: facts.model ?? "JBD BMS",
  };
  if (/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i.test(facts.address)) {
    device.connections = [["bluetooth", facts.address.toUpperCase()]];
  }
  if (facts.softwareVersionRaw !== undefined)
    device.sw_version = softwareVersionText(facts.softwareVersionRaw);
  return device;
}

/** What a set of entities belongs to: one battery, or the bank. */
export interface HaTarget {
  /** Device identifier; unique ids are `<identifier>_<entity key>`. */
  identifier: string;
  /** Topic base the entity state topics hang off (`…/status`, `…/energy/<field>`). */
  stateBase: string;
  availability: Array<{ topic: string }>;
  device: Record<string, unknown>;
  expireAfterS: number;
}

export function batteryTarget(facts: HaBatteryFacts, options: HaPayloadOptions): HaTarget {
  return {
    identifier: deviceIdentifier(facts.address),
    stateBase: `${options.prefix}/battery/${facts.batteryId}`,
    availability: [
      { topic: ownStateTopic(options) },
      { topic: `${options.prefix}/battery/${facts.batteryId}/availability` },
    ],
    device: deviceBlock(facts),
    expireAfterS: facts.expireAfterS ?? options.expireAfterS,
  };
}

/** The bank device: available while the bridge is; its numbers say themselves when no battery is online. */
export function bankTarget(options: HaPayloadOptions): HaTarget {
  const identifier = `${UNIQUE_ID_PREFIX}bank_${addressSlug(options.prefix)}`;
  return {
    identifier,
    stateBase: `${options.prefix}/bank`,
    availability: [{ topic: `${options.prefix}/bridge/state` }],
    device: {
      identifiers: [identifier],
      name: "Battery bank",
      manufacturer: "bms-bridge",
      model: "Parallel bank",
    },
    expireAfterS: options.expireAfterS,
  };
}

/**
 * The bridge itself: its health diagnostics (link-health feature, `<prefix>/bridge/<id>/health`), available
 * while the bridge is. One device per bridge of a site: the bridge id is in its identifier (and so in every
 * unique id and config topic) and in its name. Bridge ids are already `[A-Za-z0-9_-]` (src/config/schema.ts),
 * what Home Assistant allows, so they are used as they are: `pi-1` and `pi_1` stay two devices.
 */
export function bridgeTarget(options: HaPayloadOptions): HaTarget {
  const identifier = `${UNIQUE_ID_PREFIX}bridge_${addressSlug(options.prefix)}_${options.bridgeId}`;
  return {
    identifier,
    stateBase: `${options.prefix}/bridge/${options.bridgeId}`,
    availability: [{ topic: ownStateTopic(options) }],
    device: {
      identifiers: [identifier],
      name: `BMS bridge ${options.bridgeId}`,
      manufacturer: "bms-bridge",
      model: "bms-bridge",
      sw_version: options.origin.sw_version,
    },
    expireAfterS: options.expireAfterS,
  };
}

function entityFields(entity: HaEntity, target: HaTarget): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: entity.name };
  if (entity.state.topic === "status" && entity.state.template !== undefined) {
    fields.state_topic = `${target.stateBase}/status`;
    fields.value_template = entity.state.template;
    // the switch platform has no expire_after; availability covers it
    if (entity.component !== "switch") fields.expire_after = target.expireAfterS;
  } else {
    fields.state_topic = `${target.stateBase}/${entity.state.topic}`;
    if (entity.state.template !== undefined) fields.value_template = entity.state.template;
  }
  if (entity.deviceClass !== undefined) fields.device_class = entity.deviceClass;
  if (entity.unit !== undefined) fields.unit_of_measurement = entity.unit;
  if (entity.stateClass !== undefined) fields.state_class = entity.stateClass;
  if (entity.options !== undefined) fields.options = [...entity.options];
  if (entity.precision !== undefined) fields.suggested_display_precision = entity.precision;
  if (entity.icon !== undefined) fields.icon = entity.icon;
  if (entity.diagnostic) fields.entity_category = "diagnostic";
  if (entity.command !== undefined) {
    fields.command_topic = `${target.stateBase}/${entity.command}`;
    // never retained: a retained command would act again at every bridge start (control refuses it)
    fields.retain = false;
    Object.assign(fields, { payload_on: "ON", payload_off: "OFF", state_on: "ON", state_off: "OFF" });
  }
  return fields;
}

export function discoveryMessage(
  entity: HaEntity,
  target: HaTarget,
  options: HaPayloadOptions,
): DiscoveryMessage {
  const uniqueId = `${target.identifier}_${entity.key}`;
  return {
    topic: `${options.discoveryPrefix}/${entity.component}/${uniqueId}/config`,
    uniqueId,
    payload: {
      ...entityFields(entity, target),
      unique_id: uniqueId,
      availability: target.availability,
      availability_mode: "all",
      device: target.device,
      origin: options.origin,
    },
  };
}

/**
 * Whether a retained config found under the discovery prefix was published by THIS bridge: its unique id
 * carries our prefix and its availability names our state topic or the site's `<prefix>/bridge/state` (the
 * bank, and configs from before bridges had their own state topic). A second bridge on the same broker
 * (another prefix) owns its own configs; we never clear those.
 */
export function isOwnConfig(payload: unknown, prefix: string, stateTopic?: string): boolean {
  if (typeof payload !== "object" || payload === null) return false;
  const p = payload as { unique_id?: unknown; availability?: unknown };
  if (typeof p.unique_id !== "string" || !p.unique_id.startsWith(UNIQUE_ID_PREFIX)) return false;
  if (!Array.isArray(p.availability)) return false;
  const own = new Set([`${prefix}/bridge/state`, stateTopic ?? `${prefix}/bridge/state`]);
  return p.availability.some((a: { topic?: unknown }) => typeof a?.topic === "string" && own.has(a.topic));
}

/**
 * `expire_after` from the poll interval: ten polls, at least two minutes. It is only a backstop: it must
 * never fire before the bridge's own availability does (offline after 6 missed polls by default), even
 * when batteries are read in rotation.
 */
export function expireAfterForPoll(pollIntervalS: number): number {
  return Math.max(120, Math.ceil(10 * pollIntervalS));
}

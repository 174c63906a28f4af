/**
 * The MQTT topic contract (the Accu-Solar BMS setup guide, "MQTT Topics Published"; docs/mqtt.md). Every topic the bridge writes is
 * built here so the contract lives in one place.
 *
 *   <prefix>/battery/<field>          the single battery, or the bank when there are several
 *   <prefix>/battery/<id>/<field>     always, one set per battery
 *   <prefix>/battery/<id>/health      per-battery cell-balance health
 *   <prefix>/battery/<id>/availability  online | offline (retained)
 *   <prefix>/system/health            the worst health of the online batteries
 *   <prefix>/bridge/state             the site: online while any bridge runs (src/bridge/site)
 *   <prefix>/bridge/<bridge>/state    one bridge: online | offline (retained, also its last will)
 *   <prefix>/bridge/<bridge>/info     one bridge: its bank mode and batteries (JSON, retained)
 *   <prefix>/bridge/<bridge>/health   one bridge: uptime, adapters, queue, memory (JSON, retained)
 */

import { CONFIG_DEFAULTS } from "../../config/defaults.js";
import { BmsError } from "../../errors.js";

/** The scalar/array telemetry topics of the original Python bridge, in the order they are published (status comes last). */
export const TELEMETRY_FIELDS = [
  "voltage",
  "current",
  "soc",
  "power",
  "temperature",
  "cycles",
  "capacity_remain",
  "capacity_full",
  "cells",
] as const;

export type TelemetryField = (typeof TELEMETRY_FIELDS)[number];

export const STATUS_FIELD = "status";
export const HEALTH_FIELD = "health";
export const AVAILABILITY_FIELD = "availability";

export const DEFAULT_TOPIC_PREFIX = CONFIG_DEFAULTS.mqtt.topicPrefix;

/** Topic leaves directly under `<prefix>/battery/` that a battery id must not shadow. */
const RESERVED_IDS = new Set<string>([...TELEMETRY_FIELDS, STATUS_FIELD, HEALTH_FIELD, AVAILABILITY_FIELD]);

/** `<prefix>/battery/<leaf>` for the plain (single/bank) topics, `<prefix>/battery/<id>/<leaf>` otherwise. */
export function batteryTopic(prefix: string, batteryId: string | undefined, leaf: string): string {
  return batteryId === undefined ? `${prefix}/battery/${leaf}` : `${prefix}/battery/${batteryId}/${leaf}`;
}

export function systemHealthTopic(prefix: string): string {
  return `${prefix}/system/health`;
}

/** The site's state without a bridge id, one bridge's `<prefix>/bridge/<bridgeId>/state` with one. */
export function bridgeStateTopic(prefix: string, bridgeId?: string): string {
  return bridgeId === undefined ? `${prefix}/bridge/state` : `${prefix}/bridge/${bridgeId}/state`;
}

/** One bridge's retained facts (bank mode, its batteries): what the others need to elect and count. */
export function bridgeInfoTopic(prefix: string, bridgeId: string): string {
  return `${prefix}/bridge/${bridgeId}/info`;
}

/** One bridge's health report (link-health feature): one topic per bridge, so they never overwrite each other. */
export function bridgeHealthTopic(prefix: string, bridgeId: string): string {
  return `${prefix}/bridge/${bridgeId}/health`;
}

/** Where every bridge of 0.1.0 wrote its health (CHANGELOG.md): cleared on connect, else it stays retained. */
export function legacyBridgeHealthTopic(prefix: string): string {
  return `${prefix}/bridge/health`;
}

export function availabilityTopic(prefix: string, batteryId: string): string {
  return batteryTopic(prefix, batteryId, AVAILABILITY_FIELD);
}

/**
 * Rejects ids that would break the topic tree: empty, containing `/`, `+`, `#` (MQTT wildcards, [MQTT-4.7.1]),
 * or equal to a plain topic leaf (an id "voltage" would make `accusolar/battery/voltage/...` ambiguous).
 */
export function validateBatteryId(batteryId: string): void {
  if (batteryId === "" || /[/+#\s]/.test(batteryId) || RESERVED_IDS.has(batteryId)) {
    throw new BmsError(
      "CONFIG_INVALID",
      `battery id "${batteryId}" cannot be used in MQTT topics: use letters, digits, "-" or "_" and not one of ${[...RESERVED_IDS].join(", ")}`,
      { batteryId },
    );
  }
}

/** Rejects a prefix with wildcards, empty levels or a leading/trailing slash (an empty prefix is one empty level). */
export function validateTopicPrefix(prefix: string): void {
  if (/[+#]/.test(prefix) || prefix.split("/").some((level) => level === "")) {
    throw new BmsError(
      "CONFIG_INVALID",
      `MQTT topic prefix "${prefix}" is invalid: no "+", "#", empty levels or leading/trailing "/"`,
      { prefix },
    );
  }
}

/**
 * Whether a topic matches a subscription filter: `+` matches one level, `#` the rest ([MQTT-4.7.1]).
 * Called for every incoming message and every filter, so it compares the levels in place: no arrays or
 * strings are made per call.
 */
export function topicMatches(filter: string, topic: string): boolean {
  let f = 0; // start of the current filter level
  let t = 0; // start of the current topic level
  for (;;) {
    const fEnd = levelEnd(filter, f);
    const oneChar = fEnd - f === 1;
    if (oneChar && filter.charCodeAt(f) === HASH) return true;
    if (t > topic.length) return false; // the topic has fewer levels than the filter
    const tEnd = levelEnd(topic, t);
    const plus = oneChar && filter.charCodeAt(f) === PLUS;
    if (!plus && !sameLevel(filter, f, fEnd, topic, t, tEnd)) return false;
    if (fEnd === filter.length) return tEnd === topic.length;
    f = fEnd + 1;
    t = tEnd + 1;
  }
}

const HASH = 0x23;
const PLUS = 0x2b;

/** Where the level starting at `from` ends: the next `/`, or the end of the string. */
function levelEnd(text: string, from: number): number {
  const slash = text.indexOf("/", from);
  return slash === -1 ? text.length : slash;
}

function sameLevel(a: string, aFrom: number, aEnd: number, b: string, bFrom: number, bEnd: number): boolean {
  if (aEnd - aFrom !== bEnd - bFrom) return false;
  for (let i = 0; i < aEnd - aFrom; i++)
    if (a.charCodeAt(aFrom + i) !== b.charCodeAt(bFrom + i)) return false;
  return true;
}

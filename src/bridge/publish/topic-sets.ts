/**
 * Which topics get which payloads for one battery and for the plain (single battery or bank) topics. Pure;
 * the order is the publish order: the seed topics, health, then `status` last.
 */

import {
  batteryTopic,
  HEALTH_FIELD,
  STATUS_FIELD,
  systemHealthTopic,
  TELEMETRY_FIELDS,
} from "../mqtt/topics.js";
import type { BankTelemetry } from "../state/bank.js";
import type { BatteryReading } from "../types.js";
import { cellHealth, type Health, type Telemetry, telemetryPayloads } from "./format.js";
import { bankStatus, batteryStatus } from "./status-json.js";

/** A topic and its payload; `undefined` = no value (clear a previously retained one). */
export type PayloadSet = readonly [topic: string, payload: string | undefined];
export type TopicSet = PayloadSet[];

function fieldTopics(prefix: string, batteryId: string | undefined, t: Telemetry): TopicSet {
  const payloads = telemetryPayloads(t);
  return TELEMETRY_FIELDS.map((field) => [batteryTopic(prefix, batteryId, field), payloads[field]] as const);
}

export function telemetrySet(
  prefix: string,
  reading: BatteryReading,
  telemetry: Telemetry,
): { topics: TopicSet; health: Health | undefined } {
  const id = reading.batteryId;
  const health = cellHealth(telemetry.cellsMv)?.health;
  const topics = fieldTopics(prefix, id, telemetry);
  topics.push([batteryTopic(prefix, id, HEALTH_FIELD), health]);
  topics.push([batteryTopic(prefix, id, STATUS_FIELD), JSON.stringify(batteryStatus(reading, telemetry))]);
  return { topics, health };
}

/** What the plain `<prefix>/battery/*` topics carry: the only configured battery, or the bank. */
export type PlainSource =
  | { kind: "single"; reading: BatteryReading; telemetry: Telemetry; health: Health | undefined }
  | { kind: "bank"; bank: BankTelemetry; health: Health | undefined; seq: number };

export function plainSet(prefix: string, source: PlainSource): TopicSet {
  const telemetry = source.kind === "single" ? source.telemetry : source.bank;
  const status =
    source.kind === "single"
      ? batteryStatus(source.reading, source.telemetry)
      : bankStatus(source.bank, source.health, source.seq);
  const topics = fieldTopics(prefix, undefined, telemetry);
  // `<prefix>/system/health` is the worst health of the contributing batteries.
  topics.push([systemHealthTopic(prefix), source.health]);
  topics.push([batteryTopic(prefix, undefined, STATUS_FIELD), JSON.stringify(status)]);
  return topics;
}

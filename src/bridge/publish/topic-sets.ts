/**
 * Which topics get which payloads for one battery and for the plain (single battery or bank) topics. Pure;
 * the order is the publish order: the Accu-Solar topics, health, then `status` last.
 */
import {
  batteryTopic,
  HEALTH_FIELD,
  STATUS_FIELD,
  systemHealthTopic,
  TELEMETRY_FIELDS,
} from "../mqtt/topics.js";
import type { Bank } from "../state/bank.js";
import type { BatteryValues } from "../state/battery-values.js";
import type { BatteryReading } from "../types.js";
import type { FormattedValues } from "./format.js";
import { bankStatus, batteryStatus } from "./status-json.js";

/** A topic and its payload; `undefined` = no value (clear a previously retained one). */
export type PayloadSet = readonly [topic: string, payload: string | undefined];
export type TopicSet = PayloadSet[];

function fieldTopics(prefix: string, batteryId: string | undefined, formatted: FormattedValues): TopicSet {
  return TELEMETRY_FIELDS.map(
    (field) => [batteryTopic(prefix, batteryId, field), formatted.payloads[field]] as const,
  );
}

/** A battery's own `<prefix>/battery/<id>/…` topics; `bridgeId` names the bridge that read it in `status`. */
export function batterySet(
  prefix: string,
  reading: BatteryReading,
  values: BatteryValues,
  formatted: FormattedValues,
  bridgeId?: string,
): TopicSet {
  const id = reading.batteryId;
  const topics = fieldTopics(prefix, id, formatted);
  topics.push([batteryTopic(prefix, id, HEALTH_FIELD), values.health]);
  // JSON leaves `bridge` out when undefined
  const status = { ...batteryStatus(reading, values, formatted), bridge: bridgeId };
  topics.push([batteryTopic(prefix, id, STATUS_FIELD), JSON.stringify(status)]);
  return topics;
}

/** Every retained telemetry topic of one battery (what a clear empties), in publish order. */
export function batteryTelemetryTopics(prefix: string, batteryId: string): string[] {
  return [...TELEMETRY_FIELDS, HEALTH_FIELD, STATUS_FIELD].map((leaf) =>
    batteryTopic(prefix, batteryId, leaf),
  );
}

/** What the plain `<prefix>/battery/*` topics carry: the only configured battery, or the bank. */
export type PlainSource =
  | { kind: "single"; reading: BatteryReading; values: BatteryValues; formatted: FormattedValues }
  | { kind: "bank"; bank: Bank; formatted: FormattedValues; seq: number; bridgeId: string | undefined };

export function plainSet(prefix: string, source: PlainSource): TopicSet {
  const status =
    source.kind === "single"
      ? batteryStatus(source.reading, source.values, source.formatted)
      : bankStatus(source.bank, source.formatted, source.seq, source.bridgeId);
  const health = source.kind === "single" ? source.values.health : source.bank.values.health;
  const topics = fieldTopics(prefix, undefined, source.formatted);
  // `<prefix>/system/health` is the worst health of the contributing batteries.
  topics.push([systemHealthTopic(prefix), health]);
  topics.push([batteryTopic(prefix, undefined, STATUS_FIELD), JSON.stringify(status)]);
  return topics;
}

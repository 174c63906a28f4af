/**
 * Guarded MOSFET control (`--allow-control`, config `bridge.allow_control`, BMS_ALLOW_CONTROL=1).
 *
 * The bridge always subscribes to `<prefix>/battery/+/set/#` so that every command gets an answer: with
 * control disabled, an unknown field, a bad payload, an unknown battery or a retained message (a stale
 * retained command must never switch a FET at the next start), the command is refused with a logged reason
 * and a `set/result` message, and NOTHING is written. Allowed commands run inside the battery's poller
 * group (Poller.runExclusive, never concurrent with a poll): read 0x03 → write 0xE1 with the other FET's
 * forced state kept (fet-command.ts) → read 0x03 + 0x04 back. The read-back becomes the battery's latest
 * reading (status JSON), `<prefix>/battery/<id>/charge_fet` / `discharge_fet` carry the confirmed state
 * (retained), and `set/result` says whether the FET reached the requested state.
 *
 * MQTT carries no sender identity, so every command is logged with its topic, payload and whatever the
 * sender said about itself: the JSON `requested_by`, MQTT 5 user properties and response topic.
 */
import { toBmsError } from "../../../errors.js";
import type { Logger } from "../../../log/logger.js";
import type { BasicInfo } from "../../../protocol/registers/basic-info.js";
import type { Clock } from "../../../util/clock.js";
import type { MqttMessageMeta, MqttPort } from "../../mqtt/port.js";
import { RetainedTopics } from "../../mqtt/retained.js";
import { batteryTopic } from "../../mqtt/topics.js";
import type { BridgeFeature } from "../../types.js";
import { type ExclusiveRunner, writeAndReadBack } from "./controlled-write.js";
import {
  type FetCommand,
  type FetField,
  type FetState,
  fetStates,
  isConfirmed,
  maskFor,
  parseFetCommand,
  RESULT_LEAF,
} from "./fet-command.js";

export type { ExclusiveRunner };

export interface ControlContext {
  logger: Logger;
  clock: Clock;
  mqtt: MqttPort;
  device: ExclusiveRunner;
}

export interface ControlOptions {
  prefix: string;
  /** Without it every command is refused and nothing is written. */
  allowControl: boolean;
  batteryIds: readonly string[];
  qos: 0 | 1 | 2;
}

export type ControlOutcome = "confirmed" | "not_confirmed" | "rejected" | "failed";

/** The `set/result` JSON. */
export interface ControlResult {
  request: { topic: string; payload: string; field?: FetField; state?: FetState; requested_by?: string };
  outcome: ControlOutcome;
  reason: string;
  charge_fet?: FetState;
  discharge_fet?: FetState;
  time: string;
}

const SET = "set";

export function createControlFeature(ctx: ControlContext, options: ControlOptions): BridgeFeature {
  const log = ctx.logger.child("control");
  const known = new Set(options.batteryIds);
  let unsubscribe: (() => Promise<void>) | undefined;
  const depth = options.prefix.split("/").length;

  const states = new RetainedTopics({ ...ctx, logger: log }, { qos: options.qos });
  /** FET states are retained state; a result answers one command and is not. */
  const publish = (topic: string, payload: string, retain: boolean): void => {
    if (retain) {
      void states.publish(topic, payload);
      return;
    }
    ctx.mqtt.publish(topic, payload, { qos: options.qos, retain: false }).catch((error: unknown) => {
      log.warn(`cannot publish ${topic}: ${String(error)}`);
    });
  };

  const report = (batteryId: string, result: ControlResult, who: string): void => {
    publish(batteryTopic(options.prefix, batteryId, `${SET}/${RESULT_LEAF}`), JSON.stringify(result), false);
    const line = `battery ${batteryId}: ${result.request.topic} ${JSON.stringify(result.request.payload)} (${who}) → ${result.outcome}: ${result.reason}`;
    if (result.outcome === "confirmed") log.info(line);
    else log.warn(line);
  };

  const run = async (batteryId: string, command: FetCommand): Promise<BasicInfo> => {
    const { after } = await writeAndReadBack(ctx.device, batteryId, async (client) =>
      client.writeMosfetControl(maskFor(command, await client.readBasicInfo())),
    );
    return after;
  };

  const execute = async (
    batteryId: string,
    command: FetCommand,
    base: ControlResult["request"],
  ): Promise<Omit<ControlResult, "request" | "time">> => {
    try {
      const after = await run(batteryId, command);
      const states = fetStates(after);
      publish(batteryTopic(options.prefix, batteryId, "charge_fet"), states.charge, true);
      publish(batteryTopic(options.prefix, batteryId, "discharge_fet"), states.discharge, true);
      const fets = { charge_fet: states.charge, discharge_fet: states.discharge };
      const name = `${command.field} FET`;
      if (isConfirmed(command, after))
        return { outcome: "confirmed", reason: `${name} is ${command.state}`, ...fets };
      const why =
        command.state === "ON" && after.protection.length > 0
          ? ` (protection active: ${after.protection.join(", ")})`
          : "";
      return {
        outcome: "not_confirmed",
        reason: `${name} is ${states[command.field]} after the write, not ${command.state}${why}`,
        ...fets,
      };
    } catch (error) {
      return { outcome: "failed", reason: `${base.topic}: ${toBmsError(error).message}` };
    }
  };

  const onMessage = async (topic: string, payload: Buffer, meta?: MqttMessageMeta): Promise<void> => {
    const levels = topic.split("/");
    const batteryId = levels[depth + 1] as string;
    const leaf = levels.slice(depth + 3).join("/");
    if (leaf === RESULT_LEAF) return; // our own result messages
    const text = payload.toString("utf8");
    const request: ControlResult["request"] = { topic, payload: text };
    const parsed = parseFetCommand(leaf, text);
    if (parsed.ok) {
      request.field = parsed.command.field;
      request.state = parsed.command.state;
      if (parsed.command.requestedBy !== undefined) request.requested_by = parsed.command.requestedBy;
    }
    const who = describeRequester(parsed.ok ? parsed.command.requestedBy : undefined, meta);
    const time = () => new Date(ctx.clock.now()).toISOString();
    const refusal = refuse(batteryId, meta, parsed);
    if (refusal !== undefined) {
      report(batteryId, { request, outcome: "rejected", reason: refusal, time: time() }, who);
      return;
    }
    if (!parsed.ok) return; // refuse() covered it
    log.info(`battery ${batteryId}: ${topic} ${JSON.stringify(text)} (${who}) accepted, writing 0xE1`);
    const result = await execute(batteryId, parsed.command, request);
    report(batteryId, { request, ...result, time: time() }, who);
  };

  const refuse = (
    batteryId: string,
    meta: MqttMessageMeta | undefined,
    parsed: ReturnType<typeof parseFetCommand>,
  ): string | undefined => {
    if (meta?.retain)
      return "retained command ignored: publish set/ commands without the retain flag, or a stale one would act at every start";
    if (!options.allowControl)
      return "control is disabled: start the bridge with --allow-control (bridge.allow_control, BMS_ALLOW_CONTROL=1) to act on set/ commands";
    if (!known.has(batteryId)) return `no configured battery "${batteryId}"`;
    if (!parsed.ok) return parsed.reason;
    return undefined;
  };

  return {
    name: "control",
    async start() {
      unsubscribe = await ctx.mqtt.subscribe(
        `${options.prefix}/battery/+/${SET}/#`,
        (topic, payload, meta) => {
          void onMessage(topic, payload, meta);
        },
      );
      if (options.allowControl) {
        log.warn(
          `MOSFET control is ENABLED: ${options.prefix}/battery/<id>/set/charge and set/discharge switch the FETs`,
        );
      }
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}

/** Whatever the sender said about itself; MQTT has no authenticated identity to log. */
export function describeRequester(
  requestedBy: string | undefined,
  meta: MqttMessageMeta | undefined,
): string {
  const parts: string[] = [];
  if (requestedBy !== undefined) parts.push(`requested_by ${JSON.stringify(requestedBy)}`);
  for (const [key, value] of Object.entries(meta?.userProperties ?? {}))
    parts.push(`user property ${key}=${JSON.stringify(Array.isArray(value) ? value.join(",") : value)}`);
  if (meta?.responseTopic !== undefined) parts.push(`response topic ${meta.responseTopic}`);
  return parts.length > 0 ? parts.join(", ") : "sender unidentified";
}

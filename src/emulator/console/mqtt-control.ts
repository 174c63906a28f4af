/**
 * The console's controls over MQTT, for `bms-bridge demo` only (never `run`): a message on
 * `<prefix>/emu/<n>/set/<field>` is the PATCH `{ "<field>": <payload> }` for battery n. The payload is
 * JSON (`-50`, `false`, `{"3": -120}`, `null`); a payload that is not JSON is taken as a string
 * (`drop:0.3`, `imbalance`), an empty one as null. A refused value is answered on `<prefix>/emu/<n>/error`
 * (not retained) and logged; retained `set` messages are ignored, so a stale one cannot replay at start.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../../log/logger.js";
import type { EmulatorConsole } from "./console.js";

export interface MqttControlOptions {
  /** The demo's own (embedded) broker. */
  url: string;
  prefix: string;
  logger: Logger;
}

export interface RunningMqttControl {
  /** The subscription, e.g. `accusolar/emu/+/set/+`. */
  topic: string;
  close(): Promise<void>;
}

export function payloadValue(payload: Buffer): unknown {
  const text = payload.toString("utf8").trim();
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startMqttControl(
  console_: EmulatorConsole,
  options: MqttControlOptions,
): Promise<RunningMqttControl> {
  const { default: mqtt } = await import("mqtt");
  const client = await mqtt.connectAsync(options.url, {
    clientId: `bms-emu-control-${randomBytes(4).toString("hex")}`,
    reconnectPeriod: 1000,
  });
  const topic = `${options.prefix}/emu/+/set/+`;
  const pattern = new RegExp(
    `^${options.prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/emu/(\\d+)/set/([\\w-]+)$`,
  );
  client.on("message", (name, payload, packet) => {
    const match = pattern.exec(name);
    if (!match) return;
    if (packet.retain) {
      options.logger.warn(`ignored retained ${name}: controls act on live messages only`);
      return;
    }
    const n = Number(match[1]);
    const field = match[2] as string;
    console_
      .patch(n, { [field]: payloadValue(payload) })
      .then((outcome) => {
        if (outcome.status === 200) {
          options.logger.info(`battery ${n}: ${field} set from MQTT`);
          return;
        }
        const error = { field, ...outcome.error };
        options.logger.warn(`${name}: ${error.field ?? ""} ${error.error}`.trim());
        client.publish(`${options.prefix}/emu/${n}/error`, JSON.stringify(error));
      })
      .catch((error: unknown) => options.logger.warn(`${name}: ${String(error)}`));
  });
  await client.subscribeAsync(topic);
  return { topic, close: () => client.endAsync() };
}

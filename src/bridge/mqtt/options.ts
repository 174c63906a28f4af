/**
 * MQTT connection settings (docs/mqtt.md "Configuration") and their translation to mqtt.js options.
 * Config keys are the snake_case forms of these names (`client_id`, `ca_file`, `queue_limit`, …).
 */
import { readFile } from "node:fs/promises";
import type { IClientOptions } from "mqtt";
import { CONFIG_DEFAULTS } from "../../config/defaults.js";
import { BmsError } from "../../errors.js";

/** "auto" tries MQTT 5 first and falls back to 3.1.1 (and stays there) when the broker refuses it. */
export type MqttProtocolSetting = "auto" | 4 | 5;

export interface MqttConnectionOptions {
  /** `mqtt://host[:1883]` or `mqtts://host[:8883]`. */
  url: string;
  username?: string;
  password?: string;
  /** PEM CA bundle that signed the broker's certificate (mqtts://); the certificate is always verified. */
  caFile?: string;
  /** Default `bms-bridge-<hostname>-<random>` (defaultClientId in src/config/defaults.ts). */
  clientId?: string;
  keepaliveS: number;
  protocol: MqttProtocolSetting;
  /** Topic prefix: the bridge state goes to `<prefix>/bridge/state` unless `stateTopic` says otherwise. */
  prefix: string;
  /**
   * Where `online` (each connect), `offline` (clean stop) and the last will go; default
   * `<prefix>/bridge/state`. A bridge of a site uses its own `<prefix>/bridge/<id>/state` (src/bridge/site).
   */
  stateTopic?: string;
  /** QoS of the bridge state and last will. */
  qos: 0 | 1 | 2;
  /** Publishes kept while disconnected; beyond this the oldest are dropped (and counted). */
  queueLimit: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_MQTT_OPTIONS: Omit<MqttConnectionOptions, "url"> = {
  keepaliveS: 60,
  protocol: "auto",
  prefix: CONFIG_DEFAULTS.mqtt.topicPrefix,
  qos: CONFIG_DEFAULTS.mqtt.qos,
  queueLimit: CONFIG_DEFAULTS.mqtt.queueLimit,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
  connectTimeoutMs: 10_000,
};

export function validateBrokerUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BmsError(
      "CONFIG_INVALID",
      `MQTT broker URL "${url}" is not a URL (expected mqtt://host:1883)`,
      { url },
    );
  }
  if (parsed.protocol !== "mqtt:" && parsed.protocol !== "mqtts:") {
    throw new BmsError("CONFIG_INVALID", `MQTT broker URL "${url}" must start with mqtt:// or mqtts://`, {
      url,
    });
  }
  return parsed;
}

/** mqtt.js options for one client; `protocolVersion` is the one being tried. */
export function clientOptions(
  options: MqttConnectionOptions,
  clientId: string,
  protocolVersion: 4 | 5,
  ca: Buffer | undefined,
  willTopic: string,
): IClientOptions {
  const result: IClientOptions = {
    clientId,
    clean: true,
    keepalive: options.keepaliveS,
    protocolVersion,
    reconnectPeriod: options.reconnectMinMs,
    // A refused CONNACK (wrong password) must not stop the retries: the broker may be reconfigured.
    reconnectOnConnackError: true,
    connectTimeout: options.connectTimeoutMs,
    // Our own bounded queue holds publishes while disconnected; mqtt.js must not queue QoS 0 unboundedly.
    queueQoSZero: false,
    // Subscriptions are restored by the connection itself (a fallback client starts empty).
    resubscribe: false,
    rejectUnauthorized: true,
    // mqtt-packet otherwise builds, on the first publish, a table of 65,536 two-byte Buffers (one per
    // packet id / length value): about 6 MB of heap held for the process's life to save an allocation of
    // two bytes per packet, which a bridge publishing a few hundred messages a second never notices.
    writeCache: false,
    // mqtt.js traces every packet through the `debug` package, which allocates its arguments on each call
    // even when tracing is off: about a third of what the bridge allocated while polling 8 batteries.
    // Connection events reach our own logger instead.
    log: ignoreTrace,
    will: { topic: willTopic, payload: Buffer.from("offline"), qos: options.qos, retain: true },
  };
  if (options.username !== undefined) result.username = options.username;
  if (options.password !== undefined) result.password = options.password;
  if (ca !== undefined) result.ca = ca;
  return result;
}

function ignoreTrace(): void {}

/** CONNACK codes that mean "this broker does not speak MQTT 5" (3.1.1 rc 1; MQTT 5 reason 0x84). */
export const UNSUPPORTED_PROTOCOL_CODES = new Set([1, 0x84]);

/** CONNACK codes worth a specific hint; anything else is reported as mqtt.js words it. */
const REFUSAL_HINTS: Record<number, string> = {
  4: "bad user name or password",
  5: "not authorized (check username/password)",
  134: "bad user name or password",
  135: "not authorized (check username/password)",
};

/** One line describing why a connection attempt failed. */
export function describeConnectError(error: Error & { code?: unknown }, url: string): string {
  const code = error.code;
  if (typeof code === "number" && REFUSAL_HINTS[code])
    return `broker refused the connection: ${REFUSAL_HINTS[code]}`;
  if (code === "ECONNREFUSED") return `nothing is listening at ${url} (ECONNREFUSED)`;
  if (code === "ECONNRESET" || code === "EPIPE") return closedBeforeAnswer(url);
  if (/wrong version number|packet length too long|EPROTO/i.test(error.message)) {
    return `TLS handshake failed at ${url}: is this a plaintext port? (${error.message})`;
  }
  return error.message;
}

/** The broker hung up before its CONNACK: on a plaintext URL the usual cause is a TLS-only port. */
export function closedBeforeAnswer(url: string): string {
  const hint = url.startsWith("mqtt://") ? "a TLS port? use mqtts://" : "check the port and the broker log";
  return `${url} closed the connection before answering (${hint})`;
}

/** The PEM CA bundle for mqtts://; an unreadable file is a configuration error, reported at start. */
export async function readCaFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const reason = (error as Error).message;
    throw new BmsError("CONFIG_INVALID", `cannot read the MQTT CA file ${path}: ${reason}`, { path });
  }
}

/**
 * The resolved, camelCase configuration the bridge runs with (what loadConfig returns), and the
 * helpers that present it: broker URL resolution and `--print-config` with secrets masked.
 */
import type { BatteryAddress } from "../transport/address.js";
import type { ConfigOutput, LogLevelName } from "./schema.js";

export interface BatteryConfig {
  /** Topic id: accusolar/battery/<id>/… */
  id: string;
  /** Human name (logs, Home Assistant device name). */
  name: string;
  /** Canonical address text (formatAddress). */
  address: string;
  target: BatteryAddress;
  /** HCI selection for BLE batteries (native, native:N, uart:/dev/X). */
  hci: string;
  pollIntervalS: number;
  disconnectBetweenPolls: boolean;
}

export interface MqttConfig {
  /** Full broker URL, e.g. mqtt://localhost:1883 (credentials never included). */
  url: string;
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  caFile?: string;
  clientId: string;
  qos: 0 | 1 | 2;
  topicPrefix: string;
  haDiscovery: boolean;
  haDiscoveryPrefix: string;
}

export interface PollingConfig {
  pollIntervalS: number;
  maxConnections: number;
  disconnectBetweenPolls: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  requestAttempts: number;
  staleAfterPolls: number;
  offlineAfterPolls: number;
  backoffMaxMs: number;
  jitter: number;
  energyStateFile?: string;
}

export interface BridgeConfig {
  version: number;
  batteries: BatteryConfig[];
  mqtt: MqttConfig;
  bridge: PollingConfig;
  log: { level: LogLevelName; json: boolean };
}

const SCHEME_ALIASES: Record<string, string> = { "tcp:": "mqtt:", "ssl:": "mqtts:" };
const DEFAULT_PORTS: Record<string, number> = { "mqtt:": 1883, "mqtts:": 8883, "ws:": 8083, "wss:": 8084 };
const TLS_SCHEMES = new Set(["mqtts:", "wss:"]);

type BrokerFields = Pick<MqttConfig, "url" | "host" | "port" | "tls" | "username" | "password">;

/** Host or URL + port + tls → one URL. A port or credentials written in the URL win. */
export function resolveBroker(mqtt: ConfigOutput["mqtt"]): BrokerFields {
  const hasScheme = mqtt.broker.includes("://");
  const url = new URL(
    hasScheme ? mqtt.broker : `${mqtt.tls ? "mqtts" : "mqtt"}://${bracketIpv6(mqtt.broker)}`,
  );
  const protocol = SCHEME_ALIASES[url.protocol] ?? url.protocol;
  const tls = mqtt.tls || TLS_SCHEMES.has(protocol);
  const scheme = tls && protocol === "mqtt:" ? "mqtts:" : tls && protocol === "ws:" ? "wss:" : protocol;
  const port = url.port ? Number(url.port) : (mqtt.port ?? DEFAULT_PORTS[scheme] ?? 1883);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const path = url.pathname === "/" ? "" : url.pathname;
  const username = mqtt.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = mqtt.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  return {
    url: `${scheme}//${bracketIpv6(host)}:${port}${path}`,
    host,
    port,
    tls,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
  };
}

function bracketIpv6(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

const MASK = "********";

/** The effective config for `--print-config`: secrets masked, the parsed address object omitted. */
export function printableConfig(config: BridgeConfig): Record<string, unknown> {
  return {
    version: config.version,
    batteries: config.batteries.map(({ target: _target, ...battery }) => battery),
    mqtt: {
      ...config.mqtt,
      ...(config.mqtt.password !== undefined && { password: MASK }),
    },
    bridge: config.bridge,
    log: config.log,
  };
}

/**
 * The resolved, camelCase configuration the bridge runs with (what loadConfig returns), and the
 * helpers that present it: broker URL resolution and `--print-config` with secrets masked.
 */
import { BmsError } from "../errors.js";
import { formatAddress, parseAddress } from "../transport/address.js";
import { batteryIdFor } from "./battery-id.js";
import { defaultBridgeId } from "./defaults.js";
import type { ConfigOutput } from "./schema.js";

/**
 * The schema's output (snake_case, seconds) resolved into what the bridge runs with: camelCase, ms, one
 * broker URL, each battery's id, address and inherited settings. The config types below are DERIVED from
 * this function, so the settings shape is written once, in the schema.
 */
export function resolveConfig(config: ConfigOutput, clientId: () => string, hostname: string) {
  const bridge = config.bridge;
  const bridgeId = bridge.id ?? defaultBridgeId(hostname);
  return {
    version: config.version,
    batteries: config.batteries.map((battery, index) => {
      const parsed = parseAddress(battery.address);
      if (!parsed.ok) throw new BmsError("CONFIG_INVALID", parsed.problem); // unreachable: validated
      return {
        /** Topic id: accusolar/battery/<id>/… */
        id: batteryIdFor(battery, index, parsed.address, bridgeId),
        /** Human name (logs, Home Assistant device name). */
        name: battery.name ?? battery.id ?? `Battery ${index + 1}`,
        /** Canonical address text (formatAddress). */
        address: formatAddress(parsed.address),
        target: parsed.address,
        /** HCI selection for BLE batteries (native, native:N, uart:/dev/X). */
        hci: battery.hci ?? bridge.hci,
        pollIntervalS: battery.poll_interval ?? bridge.poll_interval,
        disconnectBetweenPolls: battery.disconnect_between_polls ?? bridge.disconnect_between_polls,
      };
    }),
    mqtt: {
      ...resolveBroker(config.mqtt),
      ...(config.mqtt.ca_file !== undefined && { caFile: config.mqtt.ca_file }),
      clientId: config.mqtt.client_id ?? clientId(),
      qos: config.mqtt.qos,
      topicPrefix: config.mqtt.topic_prefix.replace(/\/+$/, ""),
      haDiscovery: config.mqtt.ha_discovery,
      haDiscoveryPrefix: config.mqtt.ha_discovery_prefix.replace(/\/+$/, ""),
      /** Offline queue bound (publishes). */
      queueLimit: config.mqtt.queue_limit,
      /** The offline bound (s) when set; else derived from the poll intervals (offlineBoundS). */
      ...(config.mqtt.message_expiry !== undefined && { messageExpiryS: config.mqtt.message_expiry }),
    },
    bridge: {
      /** This bridge on the site: `<prefix>/bridge/<id>/…`. */
      id: bridgeId,
      /** Who publishes the site bank (src/bridge/site). */
      bank: bridge.bank,
      pollIntervalS: bridge.poll_interval,
      maxConnections: bridge.max_connections,
      disconnectBetweenPolls: bridge.disconnect_between_polls,
      connectTimeoutMs: Math.round(bridge.connect_timeout * 1000),
      requestTimeoutMs: Math.round(bridge.request_timeout * 1000),
      requestAttempts: bridge.request_attempts,
      staleAfterPolls: bridge.stale_after_polls,
      offlineAfterPolls: bridge.offline_after_polls,
      backoffMaxMs: Math.round(bridge.backoff_max * 1000),
      adapterGiveUpAfterMs: Math.round(bridge.adapter_give_up_after * 1000),
      jitter: bridge.jitter,
      ...(bridge.energy_state_file !== undefined && { energyStateFile: bridge.energy_state_file }),
      /** MOSFET control commands are acted on (src/bridge/features/control). */
      allowControl: bridge.allow_control,
      /** JSON-lines capture of every exchange (src/transport/capture). */
      ...(bridge.capture_file !== undefined && { captureFile: bridge.capture_file }),
    },
    log: { level: config.log.level, json: config.log.json },
    /** Controllers re-advertising the batteries, one per battery in battery order (features/mirror). */
    mirror: config.mirror,
  };
}

export type BridgeConfig = ReturnType<typeof resolveConfig>;
export type BatteryConfig = BridgeConfig["batteries"][number];
export type MqttConfig = BridgeConfig["mqtt"];
export type PollingConfig = BridgeConfig["bridge"];

const SCHEME_ALIASES: Record<string, string> = { "tcp:": "mqtt:", "ssl:": "mqtts:" };
const DEFAULT_PORTS: Record<string, number> = { "mqtt:": 1883, "mqtts:": 8883, "ws:": 8083, "wss:": 8084 };
const TLS_SCHEMES = new Set(["mqtts:", "wss:"]);

interface BrokerFields {
  /** Full broker URL, e.g. mqtt://localhost:1883 (credentials never included). */
  url: string;
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
}

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

/**
 * The effective config in the file's own shape (snake_case keys, seconds), secrets masked: what
 * `run --print-config` prints, and a valid config file once the password is filled in.
 */
export function printableConfig(config: BridgeConfig): Record<string, unknown> {
  const { mqtt, bridge } = config;
  const optional = (key: string, value: unknown) => (value === undefined ? {} : { [key]: value });
  return {
    version: config.version,
    batteries: config.batteries.map((b) => ({
      id: b.id,
      name: b.name,
      address: b.address,
      hci: b.hci,
      poll_interval: b.pollIntervalS,
      disconnect_between_polls: b.disconnectBetweenPolls,
    })),
    mqtt: {
      broker: mqtt.url,
      ...optional("username", mqtt.username),
      ...optional("password", mqtt.password === undefined ? undefined : MASK),
      tls: mqtt.tls,
      ...optional("ca_file", mqtt.caFile),
      client_id: mqtt.clientId,
      qos: mqtt.qos,
      topic_prefix: mqtt.topicPrefix,
      ha_discovery: mqtt.haDiscovery,
      ha_discovery_prefix: mqtt.haDiscoveryPrefix,
      queue_limit: mqtt.queueLimit,
      ...optional("message_expiry", mqtt.messageExpiryS),
    },
    bridge: {
      id: bridge.id,
      bank: bridge.bank,
      poll_interval: bridge.pollIntervalS,
      max_connections: bridge.maxConnections,
      disconnect_between_polls: bridge.disconnectBetweenPolls,
      connect_timeout: bridge.connectTimeoutMs / 1000,
      request_timeout: bridge.requestTimeoutMs / 1000,
      request_attempts: bridge.requestAttempts,
      stale_after_polls: bridge.staleAfterPolls,
      offline_after_polls: bridge.offlineAfterPolls,
      backoff_max: bridge.backoffMaxMs / 1000,
      adapter_give_up_after: bridge.adapterGiveUpAfterMs / 1000,
      jitter: bridge.jitter,
      ...optional("energy_state_file", bridge.energyStateFile),
      allow_control: bridge.allowControl,
      ...optional("capture_file", bridge.captureFile),
    },
    log: { level: config.log.level, json: config.log.json },
    ...(config.mirror.length > 0 && { mirror: config.mirror }),
  };
}

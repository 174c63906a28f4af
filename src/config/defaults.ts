/**
 * Every configurable default, once: the schema (schema.ts) applies them, and a part built without a config
 * (a library user, a test) falls back to the same values. Units as in the config file (seconds).
 */
import { randomBytes } from "node:crypto";

export const CONFIG_DEFAULTS = {
  mqtt: {
    broker: "localhost",
    tls: false,
    qos: 1,
    topicPrefix: "accusolar",
    haDiscovery: false,
    haDiscoveryPrefix: "homeassistant",
    queueLimit: 1000,
  },
  bridge: {
    /** The Python bridge's POLL_INTERVAL. */
    pollIntervalS: 5,
    hci: "native",
    maxConnections: 3,
    disconnectBetweenPolls: false,
    connectTimeoutS: 20,
    requestTimeoutS: 2,
    requestAttempts: 3,
    staleAfterPolls: 3,
    offlineAfterPolls: 6,
    backoffMaxS: 120,
    /** A BLE adapter unusable this long ends the run (exit 1). */
    adapterGiveUpAfterS: 600,
    jitter: 0.1,
    allowControl: false,
    bank: "auto",
  },
  log: { level: "info", json: false },
} as const;

/** The default bridge id: the host name made topic-safe (`<prefix>/bridge/<id>/state`). */
export function defaultBridgeId(hostname: string): string {
  return hostname.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64) || "bridge";
}

/**
 * `bms-bridge-<hostname>-<6 hex>`: unique per bridge, so two bridges on one broker never disconnect each
 * other (the Python bridge's fixed client id did), and broker logs say which machine it is.
 */
export function defaultClientId(
  hostname: string,
  randomHex: (bytes: number) => string = (n) => randomBytes(n).toString("hex"),
): string {
  const host = hostname.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 32) || "host";
  return `bms-bridge-${host}-${randomHex(3)}`;
}

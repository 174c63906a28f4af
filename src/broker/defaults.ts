/**
 * The embedded broker's defaults, apart from broker.ts so `bms-bridge broker --help` and the other
 * commands can show them without loading aedes and ws (docs/performance.md: memory and startup).
 */

/** Loopback only: an open broker on the LAN would let anyone rewrite the battery telemetry. */
export const DEFAULT_BROKER_HOSTS = ["127.0.0.1", "::1"];
/** What Accu-Solar connects to. */
export const DEFAULT_BROKER_PORT = 1883;
export const DEFAULT_BROKER_WS_PORT = 8083;

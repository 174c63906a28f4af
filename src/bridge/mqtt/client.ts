/**
 * An mqtt.js client for an `mqtt://` or `mqtts://` broker, made without `mqtt.connect()`. On its first
 * call, `mqtt.connect()` loads the socket builders of every transport mqtt.js knows, WebSocket included
 * (the ws package, and with it Node's http, https and zlib), although a bridge only speaks TCP or TLS:
 * about 2.5 MB of a bridge's resident memory for code that never runs (docs/performance.md, "Memory").
 * Here only the builder the URL names is loaded — mqtt.js's own, so the socket is made exactly as
 * `mqtt.connect()` makes it (host, port, and for TLS the server name and the certificate check).
 */
import { createRequire } from "node:module";
import { type IClientOptions, MqttClient } from "mqtt";

type StreamBuilder = (client: MqttClient, options: IClientOptions) => ReturnType<MqttClient["streamBuilder"]>;

const require = createRequire(import.meta.url);

/** Default ports, as mqtt.js's builders have them. */
const DEFAULT_PORT = { "mqtt:": 1883, "mqtts:": 8883 } as const;

/** Where and how to connect, from the broker URL (as mqtt.connect() reads it). */
export function brokerAddress(
  url: URL,
): Pick<IClientOptions, "protocol" | "hostname" | "port" | "username" | "password"> {
  const secure = url.protocol === "mqtts:";
  const address: ReturnType<typeof brokerAddress> = {
    protocol: secure ? "mqtts" : "mqtt",
    // a URL keeps the brackets of an IPv6 address; a socket wants the address alone
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? DEFAULT_PORT[secure ? "mqtts:" : "mqtt:"] : Number(url.port),
  };
  if (url.username !== "") address.username = decodeURIComponent(url.username);
  if (url.password !== "") address.password = decodeURIComponent(url.password);
  return address;
}

/**
 * The client, connecting at once (as `mqtt.connect()` does); `url` was checked by validateBrokerUrl. A user
 * name or password in `options` wins over one in the URL.
 */
export function createMqttClient(url: URL, options: IClientOptions): MqttClient {
  const address = brokerAddress(url);
  // mqtt.js's package exports its builders as `mqtt/lib/connect/<name>`
  const builder = require(address.protocol === "mqtts" ? "mqtt/lib/connect/tls" : "mqtt/lib/connect/tcp") as {
    default: StreamBuilder;
  };
  const connectOptions: IClientOptions = { ...address, ...withoutUndefined(options) };
  const client = new MqttClient((c) => builder.default(c, connectOptions), connectOptions);
  // as mqtt.connect() does: an 'error' before the caller's listener is attached must not throw
  client.on("error", () => {});
  return client;
}

function withoutUndefined(options: IClientOptions): IClientOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

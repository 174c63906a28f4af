/**
 * The embedded MQTT broker (aedes 1.2, MQTT 3.1.1 only: an MQTT 5 client is refused, which the bridge's
 * protocol "auto" handles). TCP on loopback by default (127.0.0.1 and ::1, the latter skipped when the
 * machine has no IPv6), plus WebSocket for browser UIs. A non-loopback bind requires credentials: an open
 * broker on the LAN would let anyone rewrite the battery telemetry.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { Aedes, type AuthenticateError } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";
import { BmsError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { cleanUpAfterDeadBridges } from "./crash-cleanup.js";
import { DEFAULT_BROKER_HOSTS, DEFAULT_BROKER_PORT, DEFAULT_BROKER_WS_PORT } from "./defaults.js";
import {
  closeServer,
  hostUrl,
  isAddressUnavailable,
  isLoopbackHost,
  listen,
  trackSockets,
} from "./listen.js";

export { DEFAULT_BROKER_HOSTS, DEFAULT_BROKER_PORT, DEFAULT_BROKER_WS_PORT } from "./defaults.js";

export interface BrokerOptions {
  /** Addresses to bind; default loopback only. */
  hosts?: readonly string[];
  /** MQTT TCP port; 0 = ephemeral (tests). Default 1883 (Accu-Solar's hard-coded port). */
  port?: number;
  /** WebSocket port; null disables. Default 8083. */
  wsPort?: number | null;
  username?: string;
  password?: string;
  logger: Logger;
}

export interface RunningBroker {
  hosts: string[];
  ports: { mqtt: number; ws: number | undefined };
  /** One URL per bound host and protocol, e.g. `mqtt://127.0.0.1:1883`. */
  urls: string[];
  close(): Promise<void>;
}

function checkOptions(hosts: readonly string[], username?: string, password?: string): void {
  if (hosts.length === 0) throw new BmsError("CONFIG_INVALID", "broker needs at least one host to bind");
  if ((username === undefined) !== (password === undefined)) {
    throw new BmsError("CONFIG_INVALID", "broker --username and --password go together");
  }
  const exposed = hosts.filter((h) => !isLoopbackHost(h));
  if (exposed.length > 0 && username === undefined) {
    throw new BmsError(
      "CONFIG_INVALID",
      `refusing to expose the broker on ${exposed.join(", ")} without credentials: add --username and --password`,
      { hosts: exposed },
    );
  }
}

function sameSecret(a: string, b: Buffer | undefined): boolean {
  const expected = Buffer.from(a);
  return b !== undefined && b.length === expected.length && timingSafeEqual(b, expected);
}

async function createAedes(options: BrokerOptions): Promise<Aedes> {
  const { username, password, logger } = options;
  const broker = await Aedes.createBroker({
    authenticate: (_client, user, pass, done) => {
      if (username === undefined || password === undefined) return done(null, true);
      if (user === username && sameSecret(password, pass)) return done(null, true);
      // CONNACK return code 4: bad user name or password (MQTT 3.1.1 §3.2.2.3).
      const error = Object.assign(new Error("bad user name or password"), {
        returnCode: 4,
      }) as AuthenticateError;
      logger.warn(`broker refused a client: bad user name or password (user ${JSON.stringify(user ?? "")})`);
      return done(error, false);
    },
  });
  broker.on("client", (client) => logger.debug(`broker: client ${client.id} connected`));
  broker.on("clientDisconnect", (client) => logger.debug(`broker: client ${client.id} disconnected`));
  // MQTT 3.1.1 has no expiry: a dead bridge's values are cleared here instead (crash-cleanup.ts)
  cleanUpAfterDeadBridges(broker, logger);
  return broker;
}

interface Bound {
  servers: Array<Server | HttpServer>;
  hosts: string[];
  port: number;
}

/** Binds one server per host on the same port (port 0: the first bind picks it). Skips hosts absent here. */
async function bindAll(
  make: () => Server | HttpServer,
  hosts: readonly string[],
  port: number,
  what: string,
  flag: string,
  logger: Logger,
): Promise<Bound> {
  const bound: Bound = { servers: [], hosts: [], port };
  for (const host of hosts) {
    const server = make();
    try {
      bound.port = await listen(server, host, bound.port, what, flag);
      bound.servers.push(server);
      bound.hosts.push(host);
    } catch (error) {
      if (!isAddressUnavailable(error)) {
        await Promise.all(bound.servers.map(closeServer));
        throw error;
      }
      logger.info(`${what} not listening on ${host}: that address is not available on this machine`);
    }
  }
  if (bound.servers.length === 0) {
    throw new BmsError("CONFIG_INVALID", `none of the broker hosts can be bound here: ${hosts.join(", ")}`);
  }
  return bound;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const hosts = options.hosts ?? DEFAULT_BROKER_HOSTS;
  const { logger } = options;
  checkOptions(hosts, options.username, options.password);
  const broker = await createAedes(options);
  const servers: Array<Server | HttpServer> = [];
  const wsServers: WebSocketServer[] = [];
  try {
    const tcp = await bindAll(
      () => createServer(broker.handle),
      hosts,
      options.port ?? DEFAULT_BROKER_PORT,
      "MQTT",
      "--port",
      logger,
    );
    servers.push(...tcp.servers);
    const urls = tcp.hosts.map((h) => hostUrl("mqtt", h, tcp.port));
    let wsPort: number | undefined;
    const wsSetting = options.wsPort === undefined ? DEFAULT_BROKER_WS_PORT : options.wsPort;
    if (wsSetting !== null) {
      const makeWs = (): HttpServer => {
        const http = trackSockets(createHttpServer());
        const wss = new WebSocketServer({ server: http });
        wss.on("connection", (socket) => broker.handle(createWebSocketStream(socket)));
        wsServers.push(wss);
        return http;
      };
      const ws = await bindAll(makeWs, tcp.hosts, wsSetting, "MQTT over WebSocket", "--ws-port", logger);
      servers.push(...ws.servers);
      wsPort = ws.port;
      urls.push(...ws.hosts.map((h) => hostUrl("ws", h, ws.port)));
    }
    logger.info(`MQTT broker listening on ${urls.join(", ")}${options.username ? " (login required)" : ""}`);
    const close = async (): Promise<void> => {
      for (const wss of wsServers) for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await Promise.all(servers.map(closeServer));
    };
    return { hosts: tcp.hosts, ports: { mqtt: tcp.port, ws: wsPort }, urls, close };
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
}

import { connect as tcpConnect } from "node:net";
import { networkInterfaces } from "node:os";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "../../src/broker/broker.js";
import { isLoopbackHost } from "../../src/broker/listen.js";
import { isBmsError } from "../../src/errors.js";
import { createMemoryLogger } from "../../src/log/logger.js";

const running: RunningBroker[] = [];
afterEach(async () => {
  for (const broker of running.splice(0)) await broker.close();
});

async function start(options: Parameters<typeof startBroker>[0]): Promise<RunningBroker> {
  const broker = await startBroker(options);
  running.push(broker);
  return broker;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

const firstLanAddress = (): string | undefined =>
  Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

describe("embedded broker", () => {
  it("binds loopback only by default", async () => {
    const broker = await start({ port: 0, wsPort: null, logger: createMemoryLogger() });
    expect(broker.hosts).toContain("127.0.0.1");
    expect(broker.hosts.every(isLoopbackHost)).toBe(true);
    expect(await canConnect("127.0.0.1", broker.ports.mqtt)).toBe(true);
    const lan = firstLanAddress();
    if (lan) expect(await canConnect(lan, broker.ports.mqtt)).toBe(false);
  });

  it("refuses a non-loopback bind without credentials", async () => {
    const error = await failure(
      start({ hosts: ["0.0.0.0"], port: 0, wsPort: null, logger: createMemoryLogger() }),
    );
    expect(isBmsError(error, "CONFIG_INVALID")).toBe(true);
    expect((error as Error).message).toContain("--username and --password");
  });

  it("names a busy port and suggests another", async () => {
    const first = await start({ hosts: ["127.0.0.1"], port: 0, wsPort: null, logger: createMemoryLogger() });
    const port = first.ports.mqtt;
    const error = await failure(
      start({ hosts: ["127.0.0.1"], port, wsPort: null, logger: createMemoryLogger() }),
    );
    expect(isBmsError(error, "PORT_IN_USE")).toBe(true);
    expect((error as Error).message).toContain(`port ${port}`);
    expect((error as Error).message).toContain("--port");
  });

  it("skips an address this machine does not have, and says so", async () => {
    const logger = createMemoryLogger();
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to this host.
    const broker = await start({
      hosts: ["127.0.0.1", "192.0.2.1"],
      port: 0,
      wsPort: null,
      username: "u",
      password: "p",
      logger,
    });
    expect(broker.hosts).toEqual(["127.0.0.1"]);
    expect(logger.records.map((r) => r.message)).toContain(
      "MQTT not listening on 192.0.2.1: that address is not available on this machine",
    );
  });

  it("checks credentials when they are set", async () => {
    const broker = await start({
      hosts: ["127.0.0.1"],
      port: 0,
      wsPort: null,
      username: "u",
      password: "p",
      logger: createMemoryLogger(),
    });
    const url = `mqtt://127.0.0.1:${broker.ports.mqtt}`;
    const bad = await failure(
      mqtt.connectAsync(url, { protocolVersion: 4, username: "u", password: "x", reconnectPeriod: 0 }),
    );
    expect((bad as { code?: number }).code).toBe(4);
    const good = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      username: "u",
      password: "p",
      reconnectPeriod: 0,
    });
    expect(good.connected).toBe(true);
    await good.endAsync();
  });

  it("serves MQTT over WebSocket for browser UIs, sharing retained messages with TCP", async () => {
    const broker = await start({ hosts: ["127.0.0.1"], port: 0, wsPort: 0, logger: createMemoryLogger() });
    const tcp = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await tcp.publishAsync("accusolar/battery/soc", "71", { qos: 1, retain: true });
    await tcp.endAsync();
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${broker.ports.ws}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const got = new Promise<string>((resolve) =>
      ws.on("message", (_t, payload) => resolve(payload.toString())),
    );
    await ws.subscribeAsync("accusolar/battery/soc");
    expect(await got).toBe("71");
    await ws.endAsync();
  });

  it("refuses an MQTT 5 client (aedes speaks 3.1.1 only)", async () => {
    const broker = await start({ hosts: ["127.0.0.1"], port: 0, wsPort: null, logger: createMemoryLogger() });
    const error = await failure(
      mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { protocolVersion: 5, reconnectPeriod: 0 }),
    );
    expect((error as { code?: number }).code).toBe(1);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { MqttConnection } from "../../../src/bridge/mqtt/connection.js";
import type { MqttConnectionOptions } from "../../../src/bridge/mqtt/options.js";
import { type RunningBroker, startBroker } from "../../../src/broker/broker.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { freeLoopbackPort, startTcpProxy, type TcpProxy } from "../../../src/testing/index.js";
import { systemClock } from "../../../src/util/clock.js";
import { eventually, readRetained } from "../../support/retained.js";

// Clients stop before the brokers close, so their goodbye is not left waiting for a vanished broker.
const clientCleanups: Array<() => Promise<void>> = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of [...clientCleanups.splice(0), ...cleanups.splice(0)]) await cleanup();
});

async function broker(port: number): Promise<RunningBroker> {
  const b = await startBroker({ hosts: ["127.0.0.1"], port, wsPort: null, logger: createMemoryLogger() });
  cleanups.push(() => b.close());
  return b;
}

async function connection(port: number, options: Partial<MqttConnectionOptions> = {}) {
  const logger = createMemoryLogger();
  const conn = new MqttConnection(
    { logger, clock: systemClock, hostname: "testhost" },
    { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 50, reconnectMaxMs: 200, ...options },
  );
  clientCleanups.push(() => conn.stop());
  await conn.start();
  return { conn, logger };
}

const warnings = (logger: ReturnType<typeof createMemoryLogger>) =>
  logger.records.filter((r) => r.level === "warn").map((r) => r.message);

describe("MqttConnection", () => {
  it("connects with a unique client id, logs the original bridge's log line and publishes bridge/state online", async () => {
    const b = await broker(0);
    const { conn, logger } = await connection(b.ports.mqtt);
    await conn.waitForConnect();
    expect(conn.stats.clientId).toMatch(/^bms-bridge-testhost-[0-9a-f]{6}$/);
    expect(logger.records.map((r) => r.message)).toContain("MQTT connected (rc=0)");
    await conn.whenDelivered();
    const retained = await readRetained(`mqtt://127.0.0.1:${b.ports.mqtt}`, "accusolar/bridge/state");
    expect(retained.get("accusolar/bridge/state")).toBe("online");
  });

  it("two bridges on one broker do not kick each other off", async () => {
    const b = await broker(0);
    const one = await connection(b.ports.mqtt);
    const two = await connection(b.ports.mqtt);
    await Promise.all([one.conn.waitForConnect(), two.conn.waitForConnect()]);
    expect(one.conn.stats.clientId).not.toBe(two.conn.stats.clientId);
    expect(one.conn.connected && two.conn.connected).toBe(true);
  });

  it("falls back to MQTT 3.1.1 when the broker refuses MQTT 5, and keeps 3.1.1 after a broker restart", async () => {
    const port = await freeLoopbackPort();
    const first = await broker(port);
    const { conn, logger } = await connection(port);
    await conn.waitForConnect();
    expect(conn.stats.protocolVersion).toBe(4);
    expect(conn.supportsMessageExpiry).toBe(false);
    await first.close();
    await broker(port);
    await eventually(
      async () => conn.connected,
      (c) => !c,
      20,
    ).catch(() => undefined);
    await conn.waitForConnect();
    const fallbacks = logger.records.filter((r) => r.message.includes("does not accept MQTT 5"));
    expect(fallbacks).toHaveLength(1);
  });

  it("a broker that is down at start is not fatal, is reported once, and gets what was published meanwhile", async () => {
    const port = await freeLoopbackPort();
    const { conn, logger } = await connection(port);
    await conn.publish("t/a", "1", { qos: 1, retain: true });
    await conn.publish("t/b", "2", { qos: 0, retain: true });
    expect(conn.connected).toBe(false);
    expect(conn.stats.queued).toBe(2);
    // Let it fail several times before the broker appears.
    await eventually(
      async () => logger.records.filter((r) => r.message.startsWith("MQTT still failing")).length,
      (n) => n >= 3,
    );
    expect(warnings(logger).filter((m) => m.includes("ECONNREFUSED"))).toHaveLength(1);
    await broker(port);
    await conn.waitForConnect();
    await conn.whenDelivered();
    const retained = await readRetained(`mqtt://127.0.0.1:${port}`, "t/#");
    expect(Object.fromEntries(retained)).toEqual({ "t/a": "1", "t/b": "2" });
    expect(conn.stats.queued).toBe(0);
  });

  it("drops the OLDEST publishes beyond the queue limit, counts them and says so", async () => {
    const port = await freeLoopbackPort();
    const { conn, logger } = await connection(port, { queueLimit: 3 });
    for (const n of [1, 2, 3, 4, 5]) await conn.publish(`q/${n}`, String(n), { qos: 1, retain: true });
    expect(conn.stats).toMatchObject({ queued: 3, dropped: 2 });
    await broker(port);
    await conn.waitForConnect();
    await conn.whenDelivered();
    const retained = await readRetained(`mqtt://127.0.0.1:${port}`, "q/#");
    expect([...retained.keys()].sort()).toEqual(["q/3", "q/4", "q/5"]);
    expect(warnings(logger)).toContain("MQTT dropped the 2 oldest messages while offline (queue limit 3)");
  });

  it("the broker publishes the last will (bridge/state offline) when the link dies", async () => {
    const b = await broker(0);
    const proxy: TcpProxy = await startTcpProxy({ port: b.ports.mqtt });
    cleanups.push(() => proxy.close());
    const { conn, logger } = await connection(proxy.port);
    await conn.waitForConnect();
    await conn.whenDelivered();
    proxy.pause();
    proxy.cut();
    const url = `mqtt://127.0.0.1:${b.ports.mqtt}`;
    const state = await eventually(
      () => readRetained(url, "accusolar/bridge/state", 100),
      (r) => r.get("accusolar/bridge/state") === "offline",
    );
    expect(state.get("accusolar/bridge/state")).toBe("offline");
    await eventually(
      async () => warnings(logger),
      (w) => w.some((m) => m.startsWith("MQTT connection lost")),
    );
    proxy.resume();
    await conn.waitForConnect();
    await conn.whenDelivered();
    expect((await readRetained(url, "accusolar/bridge/state")).get("accusolar/bridge/state")).toBe("online");
  });

  it("publishes bridge/state offline on a clean stop", async () => {
    const b = await broker(0);
    const { conn } = await connection(b.ports.mqtt, { prefix: "home/bms" });
    await conn.waitForConnect();
    await conn.stop();
    const retained = await readRetained(`mqtt://127.0.0.1:${b.ports.mqtt}`, "home/bms/#");
    expect(Object.fromEntries(retained)).toEqual({ "home/bms/bridge/state": "offline" });
  });

  it("delivers subscribed messages and restores subscriptions after a reconnect", async () => {
    const port = await freeLoopbackPort();
    const first = await broker(port);
    const { conn } = await connection(port);
    const received: string[] = [];
    await conn.subscribe("cmd/+", (topic, payload) => received.push(`${topic}=${payload.toString()}`));
    await conn.waitForConnect();
    await first.close();
    await broker(port);
    await eventually(
      async () => conn.connected,
      (c) => c,
    );
    const sender = await connection(port);
    await sender.conn.waitForConnect();
    await eventually(
      async () => {
        await sender.conn.publish("cmd/x", "go", { qos: 1 });
        await sender.conn.whenDelivered();
        return received;
      },
      (r) => r.includes("cmd/x=go"),
      20,
    );
    expect(received).toContain("cmd/x=go");
  });

  it("a filter subscribed again while its unsubscribe is in flight stays subscribed (aedes may answer out of order)", async () => {
    const b = await broker(await freeLoopbackPort());
    const { conn } = await connection(b.ports.mqtt);
    // the embedded broker has completed a SUBSCRIBE before an earlier UNSUBSCRIBE of the same filter, which
    // then removed it: a broker round trip (sync) started as the previous one ended never came back
    for (let round = 0; round < 20; round++) {
      const topic = `t/${round}`;
      const off = await conn.subscribe(topic, () => {});
      const leaving = off(); // UNSUBSCRIBE sent, not yet acknowledged
      const got: string[] = [];
      const offAgain = await conn.subscribe(topic, (_t, payload) => got.push(payload.toString()));
      await leaving;
      await conn.publish(topic, "after", { qos: 1 });
      const deadline = Date.now() + 5000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(got, `round ${round}`).toEqual(["after"]);
      await offAgain();
    }
  });

  it("rejects a URL that is not mqtt:// or mqtts://", async () => {
    const conn = new MqttConnection(
      { logger: createMemoryLogger(), clock: systemClock },
      { url: "http://x" },
    );
    await expect(conn.start()).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});

/**
 * The bridge's MQTT side against a real Mosquitto 2.0, read by `mosquitto_sub`: the Accu-Solar topics retained,
 * MQTT 5 message expiry when the bridge dies, broker restarts, passwords and TLS.
 */
import { afterEach, describe, expect, it } from "vitest";
import { EventBus } from "../../../src/bridge/event-bus.js";
import { MqttConnection } from "../../../src/bridge/mqtt/connection.js";
import type { MqttConnectionOptions } from "../../../src/bridge/mqtt/options.js";
import {
  AccuSolarPublisher,
  type PublisherOptions,
} from "../../../src/bridge/publish/accu-solar-publisher.js";
import { createBridgeState } from "../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import {
  type MosquittoOptions,
  mosquittoSkipReason,
  type RunningMosquitto,
  sampleReading,
  startMosquitto,
  startTcpProxy,
} from "../../../src/testing/index.js";
import { systemClock } from "../../../src/util/clock.js";
import { mosquittoSubRetained } from "../../support/mosquitto-sub.js";
import { eventually } from "../../support/retained.js";

const GUIDE_TOPICS: Record<string, string> = {
  "accusolar/battery/voltage": "13.45",
  "accusolar/battery/current": "9.93",
  "accusolar/battery/soc": "71",
  "accusolar/battery/power": "133.6",
  "accusolar/battery/temperature": "9.0",
  "accusolar/battery/cycles": "27",
  "accusolar/battery/capacity_remain": "198.4",
  "accusolar/battery/capacity_full": "280.0",
  "accusolar/battery/cells": "[3.361, 3.362, 3.36, 3.363]",
  "accusolar/system/health": "Normal",
};

const clientCleanups: Array<() => Promise<void>> = [];
const brokerCleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of [...clientCleanups.splice(0), ...brokerCleanups.splice(0)]) await cleanup();
});

async function mosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  const broker = await startMosquitto(options);
  brokerCleanups.push(() => broker.dispose());
  return broker;
}

async function bridge(
  url: string,
  mqtt: Partial<MqttConnectionOptions> = {},
  publisher: Partial<PublisherOptions> = {},
) {
  const logger = createMemoryLogger();
  const bus = new EventBus();
  const conn = new MqttConnection(
    { logger, clock: systemClock },
    { url, reconnectMinMs: 50, reconnectMaxMs: 300, ...mqtt },
  );
  const state = createBridgeState({ bus, clock: systemClock }, { batteryIds: ["1"], bankWindowMs: 0 });
  const pub = new AccuSolarPublisher({ bus, mqtt: conn, logger, clock: systemClock, state }, publisher);
  clientCleanups.push(async () => {
    await pub.stop();
    await conn.stop();
  });
  await pub.start();
  await conn.start();
  const publishSampleReading = async (): Promise<void> => {
    // the connect's republish first: it finds nothing yet (no battery has said it is online)
    await pub.whenIdle();
    bus.emit("reading", sampleReading({ time: Date.now() }));
    await pub.whenIdle();
    await conn.whenDelivered();
  };
  return { conn, logger, bus, publishSampleReading };
}

const warnings = (logger: ReturnType<typeof createMemoryLogger>) =>
  logger.records.filter((r) => r.level === "warn").map((r) => r.message);

describe.skipIf(mosquittoSkipReason({ clients: true, auth: true, tls: true }))(
  "bridge ↔ real Mosquitto",
  () => {
    it("every Accu-Solar topic arrives retained, as mosquitto_sub reads it, and status agrees with them", async () => {
      const broker = await mosquitto();
      const { conn, publishSampleReading } = await bridge(broker.url);
      await conn.waitForConnect();
      await publishSampleReading();
      const retained = mosquittoSubRetained(broker.port, "accusolar/#");
      for (const [topic, payload] of Object.entries(GUIDE_TOPICS)) {
        expect(retained.get(topic), topic).toEqual({ retained: true, payload });
      }
      expect(retained.get("accusolar/bridge/state")?.payload).toBe("online");
      expect(retained.get("accusolar/battery/1/voltage")?.payload).toBe("13.45");
      const status = JSON.parse(retained.get("accusolar/battery/status")?.payload ?? "{}");
      const single = (leaf: string) =>
        Number.parseFloat(retained.get(`accusolar/battery/${leaf}`)?.payload ?? "");
      expect([status.voltage, status.current, status.soc, status.power, status.temp]).toEqual(
        ["voltage", "current", "soc", "power", "temperature"].map(single),
      );
      expect(status.cells).toEqual(JSON.parse(retained.get("accusolar/battery/cells")?.payload ?? ""));
    });

    it("speaks MQTT 5 to Mosquitto, so telemetry vanishes after its expiry when the bridge dies without clearing", async () => {
      const broker = await mosquitto();
      const proxy = await startTcpProxy({ port: broker.port });
      clientCleanups.push(() => proxy.close());
      const { conn, publishSampleReading } = await bridge(
        `mqtt://127.0.0.1:${proxy.port}`,
        {},
        { messageExpiryS: 2 },
      );
      await conn.waitForConnect();
      expect(conn.stats.protocolVersion).toBe(5);
      expect(conn.supportsMessageExpiry).toBe(true);
      await publishSampleReading();
      expect(
        mosquittoSubRetained(broker.port, "accusolar/battery/voltage").get("accusolar/battery/voltage")
          ?.payload,
      ).toBe("13.45");
      // The bridge's link dies: no clearing, no goodbye.
      proxy.pause();
      proxy.cut();
      const after = await eventually(
        async () => mosquittoSubRetained(broker.port, "accusolar/#"),
        (r) => !r.has("accusolar/battery/voltage"),
        30,
      );
      expect([...after.keys()]).toEqual(["accusolar/bridge/state"]);
      expect(after.get("accusolar/bridge/state")?.payload).toBe("offline");
    });

    it("republishes the retained state after Mosquitto restarts without persistence", async () => {
      const broker = await mosquitto();
      const { conn, publishSampleReading, logger } = await bridge(broker.url);
      await conn.waitForConnect();
      await publishSampleReading();
      await broker.restart();
      await eventually(
        async () => logger.records.filter((r) => r.message === "MQTT connected (rc=0)").length,
        (n) => n >= 2,
      );
      const retained = await eventually(
        async () => mosquittoSubRetained(broker.port, "accusolar/battery/voltage"),
        (r) => r.has("accusolar/battery/voltage"),
        30,
      );
      expect(retained.get("accusolar/battery/voltage")?.payload).toBe("13.45");
      expect(warnings(logger).filter((m) => m.startsWith("MQTT connection lost"))).toHaveLength(1);
    });

    it("loses nothing within the queue bound across 5 broker restarts", async () => {
      const broker = await mosquitto({ persistence: true });
      const { conn, logger } = await bridge(broker.url, { queueLimit: 500 });
      await conn.waitForConnect();
      let n = 0;
      const burst = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++, n++)
          await conn.publish(`loss/${n}`, String(n), { qos: 1, retain: true });
      };
      for (let restart = 1; restart <= 5; restart++) {
        await burst(20);
        await broker.stop();
        // Published while the broker is down (some before the bridge even noticed).
        await burst(20);
        await broker.restart();
        await eventually(
          async () => logger.records.filter((r) => r.message === "MQTT connected (rc=0)").length,
          (c) => c > restart,
        );
      }
      await burst(20);
      await conn.whenDelivered();
      const retained = mosquittoSubRetained(broker.port, "loss/#");
      const missing = Array.from({ length: n }, (_, i) => `loss/${i}`).filter(
        (t) => retained.get(t)?.payload !== t.slice(5),
      );
      expect(n).toBe(220);
      expect(missing).toEqual([]);
      expect(conn.stats.dropped).toBe(0);
    });

    it("a wrong password is refused and reported once; the right one connects", async () => {
      const broker = await mosquitto({ auth: { username: "bridge", password: "s3cret" } });
      const wrong = await bridge(broker.url, { username: "bridge", password: "nope" });
      await eventually(
        async () => wrong.logger.records.filter((r) => r.message.startsWith("MQTT still failing")).length,
        (n) => n >= 2,
      );
      expect(wrong.conn.connected).toBe(false);
      expect(warnings(wrong.logger)).toEqual([
        expect.stringMatching(
          /^MQTT broker refused the connection: (bad user name or password|not authorized)/,
        ),
      ]);
      const right = await bridge(broker.url, { username: "bridge", password: "s3cret" });
      await right.conn.waitForConnect();
      expect(right.conn.connected).toBe(true);
    });

    it("connects over TLS to a broker signed by a throwaway CA, and refuses it without that CA", async () => {
      const broker = await mosquitto({ tls: true });
      const trusted = await bridge(broker.url, { caFile: broker.caFile as string });
      await trusted.conn.waitForConnect();
      expect(trusted.conn.connected).toBe(true);

      const untrusted = await bridge(broker.url);
      await eventually(
        async () => warnings(untrusted.logger),
        (w) => w.length > 0,
      );
      expect(untrusted.conn.connected).toBe(false);
      expect(warnings(untrusted.logger)[0]).toMatch(/certificate/i);
    });

    it("plaintext MQTT to the TLS port fails with one clear line", async () => {
      const broker = await mosquitto({ tls: true });
      const { conn, logger } = await bridge(`mqtt://127.0.0.1:${broker.port}`);
      await eventually(
        async () => logger.records.filter((r) => r.message.startsWith("MQTT still failing")).length,
        (n) => n >= 2,
      );
      expect(conn.connected).toBe(false);
      const lines = warnings(logger);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/TLS port\? use mqtts:\/\//);
      expect(lines[0]).not.toContain("\n");
    });
  },
);

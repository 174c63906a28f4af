/**
 * A SUBSCRIBE the broker never acknowledges because the connection dropped (a broker restarting, a
 * network cut) is not an error for the feature that asked: the filter stays in the connection's table and
 * the reconnect subscribes it again (src/bridge/mqtt/subscriptions.ts). Before, the promise rejected with
 * "Connection closed" and, where a feature did not await it (the site's connect handler), the bridge
 * process ended on an unhandled rejection (seen in test/e2e/broker-faults.e2e.test.ts).
 */
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterEach, expect, it } from "vitest";
import { MqttConnection } from "../../../src/bridge/mqtt/connection.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { systemClock } from "../../../src/util/clock.js";
import { eventually } from "../../support/retained.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A broker that drops the connection of the first client to subscribe to `filter`, instead of a SUBACK. */
async function brokerCuttingFirstSubscribe(filter: string): Promise<number> {
  let cuts = 0;
  const broker = await Aedes.createBroker({
    authorizeSubscribe: (client, subscription, done) => {
      if (subscription.topic === filter && cuts++ === 0) {
        client?.close();
        return;
      }
      done(null, subscription);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

it("a subscribe cut off by a dropped connection resolves, and the reconnect makes the subscription", async () => {
  const port = await brokerCuttingFirstSubscribe("cut/me");
  const conn = new MqttConnection(
    { logger: createMemoryLogger(), clock: systemClock, hostname: "testhost" },
    { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 50, reconnectMaxMs: 200, protocol: 4 },
  );
  cleanups.unshift(() => conn.stop());
  await conn.start();
  await conn.waitForConnect();
  const got: string[] = [];
  const unsubscribe = await conn.subscribe("cut/me", (_topic, payload) => got.push(payload.toString()));
  expect(unsubscribe).toBeTypeOf("function");

  const other = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
  cleanups.unshift(() => other.endAsync(true));
  await eventually(
    async () => {
      await other.publishAsync("cut/me", "after the reconnect", { qos: 1 });
      return got;
    },
    (messages) => messages.includes("after the reconnect"),
  );
});

/**
 * The bank view on a site of two bridges (docs/mqtt.md "Who publishes the bank"): two bridges that start
 * in the same instant can both elect themselves for a moment, and a scalar `<prefix>/bank/<field>`, sent
 * only when it changes, would keep the other's partial value until it changed; the publisher sends it
 * again at its next window (src/bridge/site/bank-overwrites.ts). Two full rigs on one in-memory broker.
 */
import { describe, expect, it } from "vitest";
import { sampleReading } from "../../../../src/testing/index.js";
import { SharedBroker } from "../../site/shared-broker.js";
import { siteRig, WINDOW_MS } from "../../site/site-rig.js";

const battery = (id: string, currentA: number) =>
  sampleReading({ batteryId: id, address: `tcp:10.0.0.${id === "a1" ? 1 : 2}:8899`, basic: { currentA } });

/** Bridge `id` on `broker` (MQTT 5: `online` with each reading), started as startBridge does once connected. */
async function bridge(broker: SharedBroker, id: string, batteryIds: string[]) {
  const r = siteRig({ bridgeId: id, batteryIds, mqtt: broker.client({ mqtt5: true }) });
  await r.mqtt.publish(`accusolar/bridge/${id}/state`, "online", { retain: true }); // connection.ts
  await r.start();
  return r;
}

/** One poll round of both bridges, then their bank windows. */
async function pollBoth(a: ReturnType<typeof siteRig>, b: ReturnType<typeof siteRig>) {
  a.read(battery("a1", 5));
  b.read(battery("b1", 3));
  for (const r of [a, b]) r.clock.tick(WINDOW_MS);
  for (const r of [a, b]) await r.idle();
}

describe("the bank view on a site of two bridges", () => {
  it("replaces, at its next window, a scalar another bridge wrote (two bridges elected for a moment)", async () => {
    const broker = new SharedBroker();
    const a = await bridge(broker, "a", ["a1"]);
    const b = await bridge(broker, "b", ["b1"]);
    await pollBoth(a, b);
    await pollBoth(a, b); // a's first window came before b's status was out
    expect(broker.retained.get("accusolar/bank/batteries_online")).toBe("2");
    expect(broker.retained.get("accusolar/bank/current")).toBe("8");
    // b, started in the same instant, had elected itself before a's state reached it: its partial bank
    await b.mqtt.publish("accusolar/bank/batteries_online", "1", { retain: true });
    await b.mqtt.publish("accusolar/bank/current", "3", { retain: true });
    await pollBoth(a, b); // nothing changed on a's side
    expect(broker.retained.get("accusolar/bank/batteries_online")).toBe("2");
    expect(broker.retained.get("accusolar/bank/current")).toBe("8");
    // its own echoes alone change nothing: each scalar was sent once per change, not again
    const sends = a.mqtt.publishesTo("accusolar/bank/batteries_online").length;
    await pollBoth(a, b);
    expect(a.mqtt.publishesTo("accusolar/bank/batteries_online")).toHaveLength(sends);
    await b.stop();
    await a.stop();
  });

  it("a lone bridge does not watch the bank topics: every message would be its own", async () => {
    const broker = new SharedBroker();
    const a = await bridge(broker, "a", ["a1", "a2"]);
    a.read(battery("a1", 5));
    a.read(battery("a2", 5));
    a.clock.tick(WINDOW_MS);
    await a.idle();
    expect(broker.retained.get("accusolar/bank/batteries_online")).toBe("2");
    expect(a.mqtt.subscriptions.filter((f) => f.startsWith("accusolar/bank/"))).toEqual([]);
    await a.stop();
  });
});

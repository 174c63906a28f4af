/**
 * A lone bridge, the common case (docs/mqtt.md "Who subscribes to what"): as the bank publisher it does not
 * subscribe to every battery's availability and status, which would only bring its own messages back
 * (docs/performance.md "A lone bridge reads its own statuses back"); it holds its own batteries' status
 * topics (collisions), and a second bridge joining is read and counted. Real rigs on one in-memory broker.
 */
import { describe, expect, it } from "vitest";
import { sampleReading } from "../../../src/testing/index.js";
import { SharedBroker } from "./shared-broker.js";
import { siteRig, WINDOW_MS } from "./site-rig.js";

const battery = (id: string, currentA: number) =>
  sampleReading({ batteryId: id, address: `tcp:10.0.0.1:${id.length}`, basic: { currentA } });

/** Bridge `id` on `broker`, started as startBridge does once its connection said it is online. */
async function bridge(broker: SharedBroker, id: string, batteryIds: string[]) {
  const r = siteRig({ bridgeId: id, batteryIds, mqtt: broker.client({ mqtt5: true }) });
  await r.mqtt.publish(`accusolar/bridge/${id}/state`, "online", { retain: true }); // connection.ts
  await r.start();
  return r;
}

/** One poll round of `r`'s batteries, then its bank window. */
async function poll(r: ReturnType<typeof siteRig>, currents: Record<string, number>) {
  for (const [id, currentA] of Object.entries(currents)) r.read(battery(id, currentA));
  r.clock.tick(WINDOW_MS);
  await r.idle();
}

describe("a lone bridge on a broker", () => {
  it("gets back only its own statuses (for collisions), not its availability and statuses twice", async () => {
    const broker = new SharedBroker();
    const a = await bridge(broker, "a", ["a1", "a2"]);
    const batteryTopics = () => broker.sentTo(a.mqtt).filter((t) => t.startsWith("accusolar/battery/"));
    const before = batteryTopics().length;
    for (let i = 0; i < 5; i++) await poll(a, { a1: 5, a2: 5 });
    // on MQTT 5 each reading also says `online` again: a wildcard on availability would bring 10 more
    expect(batteryTopics().slice(before).toSorted()).toEqual([
      ...Array<string>(5).fill("accusolar/battery/a1/status"),
      ...Array<string>(5).fill("accusolar/battery/a2/status"),
    ]);
    expect(a.plainStatus()).toMatchObject({ batteries: ["a1", "a2"], batteries_contributing: 2 });
    expect(a.mqtt.retainedPayload("accusolar/battery/current")).toBe("10.00");
    await a.stop();
  });

  it("reads a second bridge's batteries once it appears, and counts them in the bank", async () => {
    const broker = new SharedBroker();
    const a = await bridge(broker, "a", ["a1"]);
    await poll(a, { a1: 5 });
    const b = await bridge(broker, "b", ["b1", "b2"]);
    await a.idle();
    expect(b.state.bank.publisher).toBe(false);
    await poll(b, { b1: 1, b2: 2 });
    await poll(a, { a1: 5 });
    expect(a.plainStatus()).toMatchObject({ batteries: ["a1", "b1", "b2"], batteries_contributing: 3 });
    expect(broker.retained.get("accusolar/battery/current")).toBe("8.00");
    // and a battery id both publish is still reported, now from the wildcard
    const b1Status = broker.retained.get("accusolar/battery/b1/status") ?? "";
    await b.mqtt.publish("accusolar/battery/a1/status", b1Status, { retain: true });
    expect(a.state.site.collisions).toEqual([{ batteryId: "a1", bridgeId: "b", address: "tcp:10.0.0.1:2" }]);
    await b.stop();
    await a.stop();
  });
});

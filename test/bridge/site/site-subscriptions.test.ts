/**
 * Who reads what on a site (docs/mqtt.md "Several bridges on one site"): only the elected bridge subscribes
 * to every battery's availability and status; the others hold the bridges' state and info and their own
 * batteries' status topics (collisions), so a site of B bridges × N batteries costs a non-publishing bridge
 * O(bridges + own batteries) messages, not B × N a second. FakeMqtt with round trips played by the test.
 */
import { describe, expect, it } from "vitest";
import { sampleReading } from "../../../src/testing/index.js";
import { siteRig, WINDOW_MS } from "./site-rig.js";

const EVERY_STATUS = "accusolar/battery/+/status";
const EVERY_AVAILABILITY = "accusolar/battery/+/availability";
/** What bridge b holds while it does not publish the bank: the election's topics and its own statuses. */
const NOT_ELECTED = [
  "accusolar/battery/b1/status",
  "accusolar/battery/b2/status",
  "accusolar/bridge/+/info",
  "accusolar/bridge/+/state",
  "accusolar/bridge/state",
];
const battery = (id: string, currentA: number) =>
  sampleReading({ batteryId: id, address: `tcp:10.0.0.2:${id.length}`, basic: { currentA } });

/** Bridge "b" of a site, its first election done (the broker's retained bridge states delivered first). */
async function bridgeB(others: Record<string, string[]>) {
  const r = siteRig({ bridgeId: "b", batteryIds: ["b1", "b2"], roundTrips: true });
  await r.start();
  for (const [id, batteries] of Object.entries(others)) {
    r.bridgeState(id, "online");
    r.bridgeInfo(id, { bank: "auto", batteries });
  }
  await r.idle();
  expect(r.mqtt.roundTrip()).toBe(1); // the first election's round trip
  await r.idle();
  return r;
}

describe("only the elected bridge reads every battery", () => {
  it("a bridge that is not elected holds no subscription to every battery's status or availability", async () => {
    const r = await bridgeB({ a: ["a1"], c: ["c1"] });
    expect(r.state.site.bankPublisher).toBe(false);
    expect(r.mqtt.subscriptions.toSorted()).toEqual(NOT_ELECTED);
    expect(r.mqtt.pendingRoundTrips).toBe(0);
    // it never published the bank, so it says nothing about leaving it
    expect(r.logger.records.map((l) => l.message).filter((m) => m.includes("site bank"))).toEqual([]);
    // the broker relays nothing else to it: other bridges' batteries stay unknown here
    r.remoteReading("c", battery("c1", 5));
    expect(r.state.site.remoteIds()).toEqual([]);
  });

  it("becoming the publisher subscribes, and publishes a bank only after the round trip brought the site's statuses", async () => {
    const r = await bridgeB({ a: ["a1"], c: ["c1", "c2"] });
    r.read(battery("b1", 1));
    r.read(battery("b2", 2));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    // a's last will: b is elected, subscribes to every battery and asks the broker for a round trip
    r.bridgeState("a", "offline");
    await r.idle();
    expect(r.mqtt.subscriptions).toEqual(expect.arrayContaining([EVERY_STATUS, EVERY_AVAILABILITY]));
    expect(r.mqtt.pendingRoundTrips).toBe(1);
    expect(r.mqtt.retainedPayload("accusolar/battery/a1/availability")).toBe("offline"); // a's, at once
    // the retained statuses arrive; its own readings go on: still no bank of a partial site
    r.remoteReading("c", battery("c1", 10));
    r.read(battery("b1", 1));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.state.bank.publisher).toBe(false);
    expect(r.mqtt.publishesTo("accusolar/battery/current")).toEqual([]);
    expect(r.mqtt.publishesTo("accusolar/bank/status")).toEqual([]);
    r.remoteReading("c", battery("c2", 20));
    expect(r.mqtt.roundTrip()).toBe(1);
    await r.idle();
    expect(r.state.bank.publisher).toBe(true);
    expect(r.mqtt.publishesTo("accusolar/battery/current").map((p) => p.payload)).toEqual(["33.00"]);
    expect(r.plainStatus()).toMatchObject({
      bridge: "b",
      batteries: ["b1", "b2", "c1", "c2"],
      batteries_contributing: 4,
      batteries_offline: ["a1"],
    });
    expect(r.logger.records.map((l) => l.message)).toContain(
      "bridge b publishes the site bank (accusolar/battery/…, accusolar/bank/…)",
    );
  });

  it("losing the election unsubscribes, forgets the other bridges' batteries and stops publishing the bank", async () => {
    const r = await bridgeB({ c: ["c1"] });
    expect(r.mqtt.subscriptions).toEqual(expect.arrayContaining([EVERY_STATUS, EVERY_AVAILABILITY]));
    expect(r.mqtt.roundTrip()).toBe(1); // the statuses' round trip
    await r.idle();
    r.remoteReading("c", battery("c1", 10));
    r.read(battery("b1", 1));
    r.read(battery("b2", 2));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.plainStatus()).toMatchObject({ bridge: "b", batteries_contributing: 3 });
    // a (a lower id) comes online: b steps down
    r.bridgeState("a", "online");
    await r.idle();
    expect(r.mqtt.subscriptions).not.toContain(EVERY_STATUS);
    expect(r.mqtt.subscriptions).not.toContain(EVERY_AVAILABILITY);
    expect(r.state.site.remoteIds()).toEqual([]);
    expect(r.state.bank.publisher).toBe(false);
    const before = r.mqtt.publishes.length;
    r.remoteReading("c", battery("c1", 11));
    r.read(battery("b1", 3));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.mqtt.publishes.slice(before).map((p) => p.topic)).not.toContain("accusolar/battery/current");
    expect(r.state.site.remoteIds()).toEqual([]);
  });

  it("the publisher reads its own statuses from the wildcard alone, and subscribes them again when it steps down", async () => {
    const r = await bridgeB({ c: [] });
    expect(r.mqtt.roundTrip()).toBe(1); // the statuses' round trip
    await r.idle();
    // one subscription per status: overlapping ones deliver each message once per subscription on Mosquitto
    // with MQTT 5 (`mosquitto_sub -V mqttv5 -t 'a/+/s' -t 'a/1/s'` prints a publish to a/1/s twice)
    expect(r.mqtt.subscriptions.toSorted()).toEqual([
      "accusolar/bank/+", // a bank scalar another bridge wrote (features/bank/bank-overwrites.test.ts)
      EVERY_AVAILABILITY,
      EVERY_STATUS,
      "accusolar/bridge/+/info",
      "accusolar/bridge/+/state",
      "accusolar/bridge/state",
    ]);
    // collisions are still seen, from the wildcard
    r.remoteReading("z", { ...battery("b1", 7), address: "tcp:10.9.9.9:1" });
    expect(r.state.site.collisions).toEqual([{ batteryId: "b1", bridgeId: "z", address: "tcp:10.9.9.9:1" }]);
    r.bridgeState("a", "online");
    await r.idle();
    expect(r.mqtt.subscriptions.toSorted()).toEqual(NOT_ELECTED);
    r.remoteReading("y", { ...battery("b2", 7), address: "tcp:10.9.9.8:2" });
    expect(r.state.site.collisions.map((c) => c.bridgeId)).toEqual(["z", "y"]);
    await r.stop();
    expect(r.mqtt.subscriptions).toEqual([]);
  });

  it("a lone publisher reads no other battery (there is none): its own statuses alone, for collisions", async () => {
    const r = await bridgeB({});
    expect(r.state.bank.publisher).toBe(true);
    // every battery's topics would bring only its own messages back (docs/performance.md)
    expect(r.mqtt.subscriptions.toSorted()).toEqual(NOT_ELECTED);
    expect(r.mqtt.pendingRoundTrips).toBe(0);
    r.read(battery("b1", 1));
    r.read(battery("b2", 2));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.plainStatus()).toMatchObject({
      bridge: "b",
      batteries: ["b1", "b2"],
      batteries_contributing: 2,
    });
    r.remoteReading("z", { ...battery("b1", 7), address: "tcp:10.9.9.9:1" });
    expect(r.state.site.collisions).toEqual([{ batteryId: "b1", bridgeId: "z", address: "tcp:10.9.9.9:1" }]);
  });

  it("a lone publisher that hears of another bridge subscribes, round-trips, then counts its batteries", async () => {
    const r = await bridgeB({});
    r.read(battery("b1", 1));
    r.read(battery("b2", 2));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    r.bridgeState("c", "online");
    r.bridgeInfo("c", { bank: "auto", batteries: ["c1"] });
    await r.idle();
    expect(r.mqtt.subscriptions).toEqual(expect.arrayContaining([EVERY_STATUS, EVERY_AVAILABILITY]));
    expect(r.mqtt.pendingRoundTrips).toBe(1);
    r.remoteReading("c", battery("c1", 10)); // the retained ones, brought by the new subscriptions
    expect(r.mqtt.roundTrip()).toBe(1);
    await r.idle();
    r.read(battery("b1", 1));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.plainStatus()).toMatchObject({ batteries: ["b1", "b2", "c1"], batteries_contributing: 3 });
    expect(r.mqtt.retainedPayload("accusolar/battery/current")).toBe("13.00");
    // the wildcard brings its own statuses now: their own subscriptions are gone
    expect(r.mqtt.subscriptions).not.toContain("accusolar/battery/b1/status");
  });

  it("a bridge that is not elected still reports another bridge publishing under one of its ids", async () => {
    const r = await bridgeB({ a: ["a1"] });
    expect(r.mqtt.subscriptions).not.toContain(EVERY_STATUS);
    // its own status echoed back is not a collision
    r.read(battery("b1", 1));
    await r.idle();
    expect(r.mqtt.retainedPayload("accusolar/battery/b1/status")).toContain('"bridge":"b"');
    r.mqtt.deliver(
      "accusolar/battery/b1/status",
      r.mqtt.retainedPayload("accusolar/battery/b1/status") ?? "",
    );
    expect(r.state.site.collisions).toEqual([]);
    r.remoteReading("z", { ...battery("b2", 7), address: "tcp:10.9.9.9:2" });
    expect(r.state.site.collisions).toEqual([{ batteryId: "b2", bridgeId: "z", address: "tcp:10.9.9.9:2" }]);
    expect(r.logger.records.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      'battery id "b2" is also published by bridge z (tcp:10.9.9.9:2): the two batteries would be mixed up; give one of them its own id (batteries: - id: …)',
    ]);
  });
});

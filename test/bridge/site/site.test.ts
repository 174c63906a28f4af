import { describe, expect, it } from "vitest";
import { SiteView } from "../../../src/bridge/site/site-view.js";
import { sampleReading } from "../../../src/testing/index.js";
import { BOUND_S, siteRig, WINDOW_MS } from "./site-rig.js";

describe("the bank election (SiteView)", () => {
  const view = (self: string, bank: "auto" | "always" | "off" = "auto") => {
    const v = new SiteView(self, bank, []);
    v.expectFeed();
    v.settle();
    return v;
  };

  it("elects the lowest bridge id among the online `auto` bridges", () => {
    const b = view("b");
    expect(b.bankPublisher).toBe(true); // alone
    b.bridgeState("c", "online");
    expect(b.bankPublisher).toBe(true);
    b.bridgeState("a", "online");
    expect(b.bankPublisher).toBe(false);
    b.bridgeState("a", "offline");
    expect(b.bankPublisher).toBe(true);
    b.bridgeState("a", "online");
    b.bridgeInfo("a", { bank: "off" });
    expect(b.bankPublisher).toBe(true); // a never publishes the bank
  });

  it("gives the bank to an `always` bridge, never to an `off` one, and to nobody before the broker was read", () => {
    const b = view("b");
    b.bridgeState("z", "online");
    b.bridgeInfo("z", { bank: "always" });
    expect(b.bankPublisher).toBe(false);
    expect(view("z", "always").bankPublisher).toBe(true);
    expect(view("a", "off").bankPublisher).toBe(false);
    const unsettled = new SiteView("a", "auto", []);
    expect(unsettled.bankPublisher).toBe(true); // no broker feed at all: a lone bridge
    unsettled.expectFeed();
    expect(unsettled.bankPublisher).toBe(false);
  });
});

describe("a site of bridges on one broker", () => {
  const battery = (id: string, currentA: number, cellsMv = [3300, 3305, 3302, 3301]) =>
    sampleReading({ batteryId: id, address: `tcp:10.0.0.1:${id.length}`, cellsMv, basic: { currentA } });

  it("the elected bridge publishes ONE bank of its own and the other bridges' batteries, each once", async () => {
    const r = siteRig({ bridgeId: "a", batteryIds: ["a1", "a2"] });
    await r.start();
    r.bridgeState("b", "online");
    await r.idle(); // another bridge known: a subscribes to every battery, and the broker relays b's
    r.remoteReading("b", battery("b1", -20));
    // b also publishes a1's id: a collision, reported, never counted twice
    r.remoteReading("b", { ...battery("a1", 99), address: "tcp:10.9.9.9:1" });
    r.read(battery("a1", 60));
    r.read(battery("a2", 10));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.mqtt.retainedPayload("accusolar/battery/current")).toBe("50.00");
    expect(r.plainStatus()).toMatchObject({
      batteries: ["a1", "a2", "b1"],
      batteries_contributing: 3,
      batteries_configured: 3,
    });
    expect(JSON.parse(r.mqtt.retainedPayload("accusolar/bank/status") ?? "{}")).toMatchObject({
      batteries_online: 3,
    });
    expect(r.state.site.collisions).toEqual([{ batteryId: "a1", bridgeId: "b", address: "tcp:10.9.9.9:1" }]);
    expect(r.logger.records.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      'battery id "a1" is also published by bridge b (tcp:10.9.9.9:1): the two batteries would be mixed up; give one of them its own id (batteries: - id: …)',
    ]);
    // its own statuses name it, so the others know whose they are
    expect(JSON.parse(r.mqtt.retainedPayload("accusolar/battery/a1/status") ?? "{}")).toMatchObject({
      bridge: "a",
    });
  });

  it("a bridge that is not elected publishes only its own batteries, and takes over when the leader dies", async () => {
    const r = siteRig({ bridgeId: "b", batteryIds: ["b1"] });
    await r.start();
    r.bridgeState("a", "online");
    r.bridgeInfo("a", { bank: "auto", batteries: ["a1"] });
    r.remoteReading("a", battery("a1", 60));
    r.read(battery("b1", -20));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.mqtt.retainedPayload("accusolar/battery/b1/current")).toBe("-20.00");
    expect(
      r.mqtt.publishes.filter((p) => /^accusolar\/(battery\/[a-z_]+$|system\/health|bank\/)/.test(p.topic)),
    ).toEqual([]);
    // a's last will: b is elected at once, marks a's battery offline and publishes the bank without it
    r.bridgeState("a", "offline");
    await r.idle();
    expect(r.state.bank.publisher).toBe(true);
    expect(r.mqtt.retainedPayload("accusolar/battery/a1/availability")).toBe("offline");
    expect(r.mqtt.publishesTo("accusolar/battery/a1/status").map((p) => p.payload)).toEqual([""]);
    expect(r.mqtt.retainedPayload("accusolar/battery/current")).toBe("-20.00");
    expect(r.plainStatus()).toMatchObject({
      batteries: ["b1"],
      batteries_contributing: 1,
      batteries_configured: 2,
      batteries_offline: ["a1"],
    });
    // a comes back: b steps down and stops publishing the bank
    r.bridgeState("a", "online");
    const before = r.mqtt.publishesTo("accusolar/battery/current").length;
    r.read(battery("b1", -21));
    r.clock.tick(WINDOW_MS);
    await r.idle();
    expect(r.state.bank.publisher).toBe(false);
    expect(r.mqtt.publishesTo("accusolar/battery/current")).toHaveLength(before);
  });

  it("keeps the site state online while it runs: said again when anything says otherwise, expiring on MQTT 5", async () => {
    const r = siteRig({ bridgeId: "a", batteryIds: ["a1"], mqtt5: true });
    await r.start();
    expect(r.mqtt.publishesTo("accusolar/bridge/state")).toEqual([
      expect.objectContaining({ payload: "online", retain: true, messageExpirySeconds: BOUND_S }),
    ]);
    r.clock.tick((BOUND_S * 1000) / 3);
    expect(r.mqtt.publishesTo("accusolar/bridge/state").map((p) => p.payload)).toEqual(["online", "online"]);
    // another bridge stopping believed it was the last one
    r.mqtt.deliver("accusolar/bridge/state", "offline", { retain: false });
    expect(r.mqtt.retainedPayload("accusolar/bridge/state")).toBe("online");
    expect(JSON.parse(r.mqtt.retainedPayload("accusolar/bridge/a/info") ?? "{}")).toEqual({
      bank: "auto",
      batteries: ["a1"],
      version: "test",
    });
  });

  it("a clean stop says its batteries offline and clears their values; the bank too when nobody takes over", async () => {
    const alone = siteRig({ bridgeId: "a", batteryIds: ["a1", "a2"] });
    await alone.start();
    alone.read(battery("a1", 5));
    alone.read(battery("a2", 5));
    alone.clock.tick(WINDOW_MS);
    await alone.idle();
    expect(alone.mqtt.retainedPayload("accusolar/battery/current")).toBe("10.00");
    await alone.stop();
    expect(alone.mqtt.retainedTopics()).toEqual([
      "accusolar/battery/a1/availability",
      "accusolar/battery/a2/availability",
      "accusolar/bridge/a/info",
      "accusolar/bridge/state",
    ]);
    expect(alone.mqtt.retainedPayload("accusolar/battery/a1/availability")).toBe("offline");
    expect(alone.mqtt.retainedPayload("accusolar/bridge/state")).toBe("offline");

    const withSuccessor = siteRig({ bridgeId: "a", batteryIds: ["a1"] });
    await withSuccessor.start();
    withSuccessor.bridgeState("b", "online");
    await withSuccessor.idle();
    withSuccessor.remoteReading("b", battery("b1", 7));
    withSuccessor.read(battery("a1", 5));
    withSuccessor.clock.tick(WINDOW_MS);
    await withSuccessor.idle();
    await withSuccessor.stop();
    // b publishes the bank once a's state is offline: the plain topics and the site state stay
    expect(withSuccessor.mqtt.retainedPayload("accusolar/battery/current")).toBe("12.00");
    expect(withSuccessor.mqtt.retainedPayload("accusolar/bridge/state")).toBe("online");
    expect(withSuccessor.mqtt.retainedPayload("accusolar/battery/a1/status")).toBeUndefined();
    expect(withSuccessor.mqtt.retainedPayload("accusolar/battery/a1/availability")).toBe("offline");
  });
});

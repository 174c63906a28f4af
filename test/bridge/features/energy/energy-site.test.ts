/**
 * The bank energy total on a site of several bridges (docs/features-ha-energy-bank.md "Energy counters",
 * docs/mqtt.md "Several bridges on one site"): like the rest of the bank, only the bank publisher publishes
 * it, over every battery of the site (its own counters and the others' retained `energy/<field>`), and the
 * next publisher continues from the same total. Two bridges, each a full rig, on one in-memory broker.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleReading } from "../../../../src/testing/index.js";
import { SharedBroker } from "../../site/shared-broker.js";
import { siteRig, WINDOW_MS } from "../../site/site-rig.js";

const BANK_ENERGY = "accusolar/bank/energy/";
const battery = (id: string, currentA: number) =>
  sampleReading({
    batteryId: id,
    address: `tcp:10.0.0.${id === "a1" ? 1 : 2}:8899`,
    basic: { voltageV: 12, currentA },
  });

describe("the bank energy total on a site of two bridges", () => {
  let dir: string;
  let broker: SharedBroker;
  let rigs: Array<ReturnType<typeof siteRig>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "energy-site-"));
    broker = new SharedBroker();
    rigs = [];
  });
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Bridge `id` reading `batteryIds`, started as startBridge does once its connection said it is online. */
  async function bridge(id: string, batteryIds: string[]) {
    const r = siteRig({
      bridgeId: id,
      batteryIds,
      mqtt: broker.client(),
      energyStatePath: join(dir, `${id}.json`),
    });
    // what its MQTT connection does on connect (src/bridge/mqtt/connection.ts): its own state, retained
    await r.mqtt.publish(`accusolar/bridge/${id}/state`, "online", { retain: true });
    await r.start();
    rigs.push(r);
    return r;
  }

  /** 36 s at 12 V in 6 s steps, both bridges reading: a1 at +100 A (1 Ah in), b1 at −200 A (2 Ah out). */
  async function run36s(
    a: ReturnType<typeof siteRig>,
    b: ReturnType<typeof siteRig>,
    currents = [100, -200],
  ) {
    for (let i = 0; i <= 6; i++) {
      a.read(battery("a1", currents[0] ?? 0));
      b.read(battery("b1", currents[1] ?? 0));
      for (const r of [a, b]) r.clock.tick(i < 6 ? 6000 : WINDOW_MS);
      for (const r of [a, b]) await r.idle();
    }
  }

  const bankEnergy = () =>
    Object.fromEntries(
      [...broker.retained]
        .filter(([t]) => t.startsWith(BANK_ENERGY))
        .map(([t, p]) => [t.slice(BANK_ENERGY.length), p]),
    );

  it("is published by the bank publisher alone, over both bridges' batteries", async () => {
    const a = await bridge("a", ["a1"]);
    const b = await bridge("b", ["b1"]);
    expect([a.state.bank.publisher, b.state.bank.publisher]).toEqual([true, false]);
    await run36s(a, b);
    expect(broker.retained.get("accusolar/battery/b1/energy/discharged_ah")).toBe("2");
    b.mqtt.connect(); // a reconnect republishes everything b publishes
    await b.idle();
    // b does not publish the bank: not its total either (each bridge used to publish its own partial sum)
    expect(b.mqtt.publishes.filter((p) => p.topic.startsWith(BANK_ENERGY))).toEqual([]);
    expect(bankEnergy()).toEqual({
      charged_ah: "1",
      charged_kwh: "0.012",
      discharged_ah: "2",
      discharged_kwh: "0.024",
    });
  });

  it("is continued from the same total by the next publisher when the first one stops", async () => {
    const a = await bridge("a", ["a1"]);
    const b = await bridge("b", ["b1"]);
    await run36s(a, b);
    const before = bankEnergy();
    await a.stop();
    rigs.splice(rigs.indexOf(a), 1);
    await a.mqtt.publish("accusolar/bridge/a/state", "offline", { retain: true }); // its connection's goodbye
    await b.idle();
    expect(b.state.bank.publisher).toBe(true);
    // b counts a1 from its retained counters (a1 is offline now: its energy stays true), so nothing moves
    expect(b.mqtt.publishesTo(`${BANK_ENERGY}discharged_ah`).map((p) => p.payload)).toEqual(["2"]);
    expect(bankEnergy()).toEqual(before);
    // and goes on counting both: b1 another 2 Ah out (after a pause longer than the gap bound: a new run)
    b.clock.tick(20_000);
    for (let i = 0; i <= 6; i++) {
      b.read({ ...battery("b1", -200), time: b.clock.now() });
      b.clock.tick(i < 6 ? 6000 : WINDOW_MS);
      await b.idle();
    }
    expect(bankEnergy()).toMatchObject({ charged_ah: "1", discharged_ah: "4" });
  });

  it("a lone bridge does not read energy counters back: only once another bridge is known", async () => {
    const a = await bridge("a", ["a1"]);
    const energyFilters = () => a.mqtt.subscriptions.filter((f) => f.includes("/energy/"));
    a.read(battery("a1", 100));
    a.clock.tick(WINDOW_MS);
    await a.idle();
    expect(bankEnergy()).toMatchObject({ charged_ah: "0" }); // it publishes the total, of its own batteries
    expect(energyFilters()).toEqual([]); // every counter and total here is its own: nothing to read
    await bridge("b", ["b1"]);
    await a.idle();
    expect(energyFilters()).toEqual(["accusolar/battery/+/energy/+"]);
    a.read(battery("a1", 100));
    a.clock.tick(WINDOW_MS);
    await a.idle();
    expect(energyFilters().toSorted()).toEqual(["accusolar/bank/energy/+", "accusolar/battery/+/energy/+"]);
  });

  it("replaces, at its next window, a total another bridge wrote (two bridges elected for a moment)", async () => {
    const a = await bridge("a", ["a1"]);
    const b = await bridge("b", ["b1"]);
    await run36s(a, b);
    // b, started in the same instant, had elected itself before a's state reached it: its partial total
    await b.mqtt.publish(`${BANK_ENERGY}discharged_ah`, "0", { retain: true });
    for (const r of [a, b]) r.clock.tick(20_000); // longer than the gap bound: no interval is integrated
    await run36s(a, b, [0, 0]); // idle: no counter changes
    expect(bankEnergy()).toMatchObject({ discharged_ah: "2" });
  });
});

/**
 * After a crash the state file is up to a save interval old, while the broker retains the counters last
 * published (docs/features-ha-energy-bank.md "After a crash"): a restarted bridge continues from the larger
 * of the two, field by field, and never publishes a step back (Home Assistant's `total_increasing` would
 * take it for a meter reset). It reads only its own batteries' counters. One in-memory broker.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EnergyCounters } from "../../../../src/bridge/features/energy/energy.js";
import { serializeEnergyState } from "../../../../src/bridge/features/energy/energy-store.js";
import { sampleReading } from "../../../../src/testing/index.js";
import { SharedBroker } from "../../site/shared-broker.js";
import { siteRig, WINDOW_MS } from "../../site/site-rig.js";

const ADDRESS = "tcp:10.0.0.1:8899";
const ENERGY = "accusolar/battery/a1/energy/";
const a1 = (currentA: number) =>
  sampleReading({ batteryId: "a1", address: ADDRESS, basic: { voltageV: 12, currentA } });

describe("energy counters after a crash", () => {
  let dir: string;
  let statePath: string;
  let broker: SharedBroker;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "energy-restart-"));
    statePath = join(dir, "a.json");
    broker = new SharedBroker();
    // the last save, a minute before the crash, and what the bridge published after it: charged more;
    // discharged_ah lower (older), discharged_kwh absent
    await given(
      { chargedKwh: 0.012, dischargedKwh: 0.006, chargedAh: 1, dischargedAh: 0.5 },
      { charged_kwh: "0.018", charged_ah: "1.5", discharged_ah: "0.4" },
    );
    broker.retained.set("accusolar/battery/b1/energy/charged_ah", "7"); // another bridge's battery
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** a1's counters in the state file, and its retained counters on the broker. */
  async function given(saved: EnergyCounters, retained: Record<string, string>) {
    const state = new Map([[ADDRESS, { batteryId: "a1", counters: saved }]]);
    await writeFile(statePath, serializeEnergyState(state, 0));
    for (const [field, value] of Object.entries(retained)) broker.retained.set(`${ENERGY}${field}`, value);
  }

  /** Bridge a, reading a1, on the broker (its client given, e.g. disconnected). */
  const bridgeA = (mqtt = broker.client()) =>
    siteRig({ bridgeId: "a", batteryIds: ["a1"], mqtt, energyStatePath: statePath });

  const published = (r: ReturnType<typeof siteRig>, field: string) =>
    r.mqtt.publishesTo(`${ENERGY}${field}`).map((p) => p.payload);

  async function chargeOneAh(r: ReturnType<typeof siteRig>) {
    for (let i = 0; i <= 6; i++) {
      r.read(a1(100)); // 100 A for 36 s = 1 Ah
      r.clock.tick(i < 6 ? 6000 : WINDOW_MS);
      await r.idle();
    }
  }

  it("continues from the larger of the saved and the retained value, field by field", async () => {
    const r = bridgeA();
    await r.start();
    expect(published(r, "charged_ah")).toEqual(["1.5"]); // never "1": no step back, not even for a moment
    expect(published(r, "charged_kwh")).toEqual(["0.018"]);
    expect(published(r, "discharged_ah")).toEqual(["0.5"]); // the file's is larger here
    expect(published(r, "discharged_kwh")).toEqual(["0.006"]);
    await chargeOneAh(r);
    expect(broker.retained.get(`${ENERGY}charged_ah`)).toBe("2.5");
    expect(r.logger.records.map((l) => l.message)).toContain(
      "energy counters of a1 continue from the broker's retained values (the state file was older)",
    );
    // read once, its own batteries only: subscribed no longer, another bridge's counter never sent to it
    expect(r.mqtt.subscriptions.filter((f) => f.includes("/energy/"))).toEqual([]);
    expect(broker.sentTo(r.mqtt).filter((t) => t.includes("b1"))).toEqual([]);
    await r.stop();
  });

  it("after a clean stop (the retained value is the saved one as shown) keeps the saved value and says nothing", async () => {
    await given(
      { chargedKwh: 0.00029881, dischargedKwh: 0, chargedAh: 0.0249022, dischargedAh: 0 },
      { charged_kwh: "0.0003", discharged_kwh: "0", charged_ah: "0.025", discharged_ah: "0" },
    );
    const r = bridgeA();
    await r.start();
    expect(published(r, "charged_ah")).toEqual(["0.025"]);
    expect(r.logger.records.filter((l) => l.level === "warn")).toEqual([]);
    await r.stop();
    // nothing raised, so nothing to save: the file keeps the exact counters
    expect(await readFile(statePath, "utf8")).toContain('"charged_ah": 0.0249022');
  });

  it("counts from the first reading while the broker is away, and adds the retained excess once it is read", async () => {
    const mqtt = broker.client();
    mqtt.disconnect();
    const r = bridgeA(mqtt);
    await r.start();
    await chargeOneAh(r); // 1 + 1 Ah counted; nothing published before the broker was read
    expect(published(r, "charged_ah")).toEqual([]);
    mqtt.connect();
    await r.idle();
    expect(published(r, "charged_ah")).toEqual(["2.5"]);
    await r.stop();
  });
});

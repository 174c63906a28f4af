import { afterEach, describe, expect, it } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import {
  createHaDiscovery,
  type HaDiscoveryFeature,
} from "../../../../src/bridge/features/home-assistant/home-assistant.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FakeMqtt, ManualClock, sampleReading } from "../../../../src/testing/index.js";

const A = "A5:C2:37:3C:76:D2";
const REMOVED = "A5:C2:37:41:1D:E0";

function ownConfig(uniqueId: string, prefix = "accusolar"): string {
  return JSON.stringify({
    name: "x",
    state_topic: `${prefix}/battery/9/status`,
    unique_id: uniqueId,
    availability: [{ topic: `${prefix}/bridge/state` }],
  });
}

/** What the feature gets from startBridge: the shared battery state included. */
function haContext(mqtt: FakeMqtt, clock: ManualClock, bus: EventBus) {
  const state = createBridgeState({ bus, clock }, { batteryIds: [], bankWindowMs: 0 });
  return { logger: createMemoryLogger(), clock, bus, mqtt, state };
}

describe("Home Assistant discovery feature", () => {
  let feature: HaDiscoveryFeature | undefined;
  afterEach(async () => {
    await feature?.stop();
    feature = undefined;
  });

  async function setup(options: { energy?: boolean; bank?: boolean } = {}) {
    const clock = new ManualClock();
    const bus = new EventBus();
    const mqtt = new FakeMqtt();
    feature = createHaDiscovery(haContext(mqtt, clock, bus), {
      prefix: "accusolar",
      qos: 1,
      energy: options.energy ?? false,
      bank: options.bank ?? false,
      swVersion: "0.1.0",
      bridgeId: "pi-1",
      pollIntervalS: 5,
      batteries: [{ id: "1", address: A, name: "House", pollIntervalS: 30 }],
      staleScanMs: 2000,
    });
    await feature.start();
    return { clock, bus, mqtt, feature };
  }

  const configs = (mqtt: FakeMqtt) => mqtt.retainedTopics("homeassistant/+/+/config");

  it("announces nothing before the first reading, then every entity retained at QoS 1", async () => {
    const { bus, mqtt } = await setup({ energy: true });
    expect(configs(mqtt)).toEqual([]);
    bus.emit("reading", sampleReading({ address: A }));
    const topics = configs(mqtt);
    const battery = topics.filter((t) => t.includes("bmsbridge_a5c2373c76d2_"));
    // 16 base sensors/binary sensors + 15 protection bits + mean and 2 probe temperatures + 4 cells + 4 energy
    // + 5 link diagnostics (RSSI: a BLE address; quality, failed reads, reconnects, last error)
    expect(battery).toHaveLength(16 + 15 + 3 + 4 + 4 + 5);
    // the bridge's own health device: uptime, adapter losses and resets, operations waiting, memory
    const bridge = topics.filter((t) => t.includes("bmsbridge_bridge_accusolar_"));
    expect(bridge).toHaveLength(5);
    expect(topics).toHaveLength(battery.length + bridge.length);
    for (const topic of [...bridge, ...battery.filter((t) => t.includes("_link_"))]) {
      expect(JSON.parse(mqtt.retainedPayload(topic) ?? "{}").entity_category, topic).toBe("diagnostic");
    }
    expect(topics).toContain("homeassistant/sensor/bmsbridge_a5c2373c76d2_cell_4/config");
    expect(topics).toContain("homeassistant/sensor/bmsbridge_a5c2373c76d2_energy_charged/config");
    for (const p of mqtt.publishes.filter((x) => x.topic.startsWith("homeassistant/"))) {
      expect({ qos: p.qos, retain: p.retain }).toEqual({ qos: 1, retain: true });
    }
  });

  it("names the device after the configured battery and derives expire_after from its poll interval", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", sampleReading({ address: A }));
    const config = JSON.parse(
      mqtt.retainedPayload("homeassistant/sensor/bmsbridge_a5c2373c76d2_soc/config") ?? "{}",
    );
    expect(config.device.name).toBe("House");
    expect(config.expire_after).toBe(300); // 10 × 30 s
  });

  it("does not republish for a reading that changes nothing it announces", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", sampleReading({ address: A, seq: 1 }));
    const count = mqtt.publishes.length;
    bus.emit("reading", sampleReading({ address: A, seq: 2, basic: { voltageV: 13.1 } }));
    expect(mqtt.publishes.length).toBe(count);
  });

  it("republishes with the model once the 0x05 model string is known", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", sampleReading({ address: A }));
    bus.emit("deviceInfo", { batteryId: "1", address: A, model: "DP04S007L4S200A" });
    const config = JSON.parse(
      mqtt.retainedPayload("homeassistant/sensor/bmsbridge_a5c2373c76d2_soc/config") ?? "{}",
    );
    expect(config.device.model).toBe("DP04S007L4S200A");
  });

  it("does not republish for device info that changes nothing", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", sampleReading({ address: A, model: "DP04S007L4S200A" }));
    const count = mqtt.publishes.length;
    bus.emit("deviceInfo", {
      batteryId: "1",
      address: A,
      model: "DP04S007L4S200A",
      softwareVersionRaw: 0x10,
    });
    expect(mqtt.publishes.length).toBe(count);
  });

  it("announces the bank device with the first reading when the bank view runs", async () => {
    const { bus, mqtt } = await setup({ bank: true, energy: true });
    bus.emit("reading", sampleReading({ address: A }));
    const bank = configs(mqtt).filter((t) => t.includes("/bmsbridge_bank_accusolar_"));
    expect(bank).toHaveLength(15 + 4);
  });

  it("clears the bank's retained configs found at start when the bank view is off", async () => {
    const { clock, mqtt, feature: f } = await setup({ bank: false });
    const topic = "homeassistant/sensor/bmsbridge_bank_accusolar_soc/config";
    mqtt.deliver(topic, ownConfig("bmsbridge_bank_accusolar_soc"));
    clock.tick(2000);
    await f.scanned;
    expect(mqtt.publishesTo(topic).map((p) => p.payload)).toEqual([""]);
  });

  it("republishes everything when Home Assistant comes online, and on a reconnect", async () => {
    const { bus, mqtt } = await setup();
    bus.emit("reading", sampleReading({ address: A }));
    const announced = configs(mqtt).length;
    let before = mqtt.publishes.length;
    mqtt.deliver("homeassistant/status", "offline");
    expect(mqtt.publishes.length).toBe(before);
    mqtt.deliver("homeassistant/status", "online");
    expect(mqtt.publishes.length - before).toBe(announced);
    before = mqtt.publishes.length;
    mqtt.connect();
    expect(mqtt.publishes.length - before).toBe(announced);
  });

  it("clears the configs of a battery whose cell count shrank", async () => {
    const { bus, mqtt } = await setup();
    bus.emit(
      "reading",
      sampleReading({ address: A, cellsMv: [3300, 3301, 3302, 3303, 3304, 3305, 3306, 3307] }),
    );
    expect(configs(mqtt)).toContain("homeassistant/sensor/bmsbridge_a5c2373c76d2_cell_8/config");
    bus.emit("reading", sampleReading({ address: A, cellsMv: [3300, 3301, 3302, 3303] }));
    expect(configs(mqtt)).not.toContain("homeassistant/sensor/bmsbridge_a5c2373c76d2_cell_5/config");
    expect(
      mqtt.publishesTo("homeassistant/sensor/bmsbridge_a5c2373c76d2_cell_8/config").at(-1)?.payload,
    ).toBe("");
  });

  it("clears stale retained configs found at start: removed batteries and entities no longer announced", async () => {
    const { clock, bus, mqtt, feature: f } = await setup();
    const removed = "homeassistant/sensor/bmsbridge_a5c2373c76d2_x/config".replace(
      "a5c2373c76d2",
      "a5c237411de0",
    );
    const oldEntity = "homeassistant/sensor/bmsbridge_a5c2373c76d2_cell_12/config";
    const foreign = "homeassistant/sensor/bmsbridge_a5c2373c76d2_voltage_other/config";
    const otherProduct = "homeassistant/sensor/z2m_0x1234_battery/config";
    // What the broker sends back for the scan subscription: retained configs from earlier runs.
    mqtt.deliver(removed, ownConfig(`bmsbridge_${REMOVED.replaceAll(":", "").toLowerCase()}_x`));
    mqtt.deliver(oldEntity, ownConfig("bmsbridge_a5c2373c76d2_cell_12"));
    mqtt.deliver(foreign, ownConfig("bmsbridge_a5c2373c76d2_voltage_other", "garage"));
    mqtt.deliver(otherProduct, JSON.stringify({ unique_id: "0x1234_battery", state_topic: "z2m/x" }));
    clock.tick(2000);
    await f.scanned;
    expect(mqtt.publishesTo(removed).map((p) => [p.payload, p.retain])).toEqual([["", true]]);
    // The configured battery's old cell_12 waits until its entity set is known…
    expect(mqtt.publishesTo(oldEntity)).toEqual([]);
    bus.emit("reading", sampleReading({ address: A }));
    // …and is cleared then.
    expect(mqtt.publishesTo(oldEntity).map((p) => p.payload)).toEqual([""]);
    // Another bridge's configs (other prefix) and other products' configs are never touched.
    expect(mqtt.publishesTo(foreign)).toEqual([]);
    expect(mqtt.publishesTo(otherProduct)).toEqual([]);
  });

  it("gives each bridge of a site its own bridge device, read from its own health topic", async () => {
    const clock = new ManualClock();
    const bus = { "pi-1": new EventBus(), "pi-2": new EventBus() };
    const mqtt = new FakeMqtt();
    const features = (["pi-1", "pi-2"] as const).map((bridgeId) =>
      createHaDiscovery(haContext(mqtt, clock, bus[bridgeId]), {
        prefix: "accusolar",
        qos: 1,
        energy: false,
        bank: false,
        swVersion: "0.1.0",
        bridgeId,
        stateTopic: `accusolar/bridge/${bridgeId}/state`,
        batteries: [],
        staleScanMs: 2000,
      }),
    );
    for (const f of features) await f.start();
    // the one "BMS bridge" device of 0.1.0, last written by pi-1: pi-1 owns it and clears it
    const shared = "homeassistant/sensor/bmsbridge_bridge_accusolar_uptime/config";
    mqtt.deliver(
      shared,
      JSON.stringify({
        unique_id: "bmsbridge_bridge_accusolar_uptime",
        availability: [{ topic: "accusolar/bridge/pi-1/state" }],
      }),
    );
    bus["pi-1"].emit("reading", sampleReading({ address: A }));
    bus["pi-2"].emit("reading", sampleReading({ address: REMOVED, batteryId: "2" }));
    const uptime = (bridgeId: string) =>
      JSON.parse(
        mqtt.retainedPayload(`homeassistant/sensor/bmsbridge_bridge_accusolar_${bridgeId}_uptime/config`) ??
          "{}",
      );
    expect(uptime("pi-1")).toMatchObject({
      unique_id: "bmsbridge_bridge_accusolar_pi-1_uptime",
      state_topic: "accusolar/bridge/pi-1/health",
      availability: [{ topic: "accusolar/bridge/pi-1/state" }],
      device: { identifiers: ["bmsbridge_bridge_accusolar_pi-1"], name: "BMS bridge pi-1" },
    });
    expect(uptime("pi-2")).toMatchObject({
      unique_id: "bmsbridge_bridge_accusolar_pi-2_uptime",
      state_topic: "accusolar/bridge/pi-2/health",
      availability: [{ topic: "accusolar/bridge/pi-2/state" }],
      device: { identifiers: ["bmsbridge_bridge_accusolar_pi-2"], name: "BMS bridge pi-2" },
    });
    expect(configs(mqtt).filter((t) => t.includes("bmsbridge_bridge_"))).toHaveLength(10);
    clock.tick(2000);
    for (const f of features) await f.scanned;
    expect(mqtt.publishesTo(shared).map((p) => p.payload)).toEqual([""]);
    for (const f of features) await f.stop();
  });

  it("waits for the first connection before scanning when the broker is down at start", async () => {
    const clock = new ManualClock();
    const mqtt = new FakeMqtt({ connected: false });
    const bus = new EventBus();
    const f = createHaDiscovery(haContext(mqtt, clock, bus), {
      prefix: "accusolar",
      qos: 1,
      energy: false,
      bank: false,
      swVersion: "0",
      bridgeId: "pi-1",
      batteries: [],
      staleScanMs: 2000,
    });
    feature = f;
    await f.start();
    expect(clock.pending).toBe(0);
    mqtt.connect();
    await Promise.resolve();
    const stale = "homeassistant/sensor/bmsbridge_a5c237411de0_soc/config";
    mqtt.deliver(stale, ownConfig("bmsbridge_a5c237411de0_soc"));
    clock.tick(2000);
    await f.scanned;
    expect(mqtt.publishesTo(stale).map((p) => p.payload)).toEqual([""]);
  });

  it("stops listening on stop, ending the stale scan early and leaving no timer", async () => {
    const { clock, bus, mqtt, feature: f } = await setup();
    await f.stop();
    expect(clock.pending).toBe(0);
    bus.emit("reading", sampleReading({ address: A }));
    mqtt.deliver("homeassistant/status", "online");
    expect(configs(mqtt)).toEqual([]);
  });
});

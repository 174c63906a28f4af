import { describe, expect, it, vi } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import {
  type BatteryShape,
  entitiesFor,
} from "../../../../src/bridge/features/home-assistant/ha-entities.js";
import {
  batteryTarget,
  discoveryMessage,
  type HaPayloadOptions,
} from "../../../../src/bridge/features/home-assistant/ha-payload.js";
import { createHaDiscovery } from "../../../../src/bridge/features/home-assistant/home-assistant.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FakeMqtt, ManualClock, sampleReading, topicMatches } from "../../../../src/testing/index.js";
import { problems } from "./ha-schema.js";

const OPTIONS: HaPayloadOptions = {
  prefix: "accusolar",
  discoveryPrefix: "homeassistant",
  expireAfterS: 60,
  origin: { name: "bms-bridge", sw_version: "0.1.0" },
  bridgeId: "pi-1",
};
const FACTS = { batteryId: "1", address: "A5:C2:37:3C:76:D2" };
const SHAPE: BatteryShape = { cellCount: 4, ntcCount: 2, hasFullCharge: true, energy: false };
const switches = (shape: BatteryShape) =>
  entitiesFor(shape)
    .filter((e) => e.component === "switch")
    .map((e) => discoveryMessage(e, batteryTarget(FACTS, OPTIONS), OPTIONS));

describe("Home Assistant switches for the MOSFETs", () => {
  it("exist only when control is allowed", () => {
    expect(switches(SHAPE)).toEqual([]);
    expect(switches({ ...SHAPE, control: false })).toEqual([]);
    expect(switches({ ...SHAPE, control: true }).map((m) => m.topic)).toEqual([
      "homeassistant/switch/bmsbridge_a5c2373c76d2_charge_fet_control/config",
      "homeassistant/switch/bmsbridge_a5c2373c76d2_discharge_fet_control/config",
    ]);
  });

  it("pass Home Assistant's switch rules and point at the control topics the bridge listens on", () => {
    for (const m of switches({ ...SHAPE, control: true }))
      expect(problems(m.topic, m.payload), m.topic).toEqual([]);
    const [charge, discharge] = switches({ ...SHAPE, control: true }).map((m) => m.payload);
    expect(charge).toMatchObject({
      command_topic: "accusolar/battery/1/set/charge",
      state_topic: "accusolar/battery/1/status",
      payload_on: "ON",
      payload_off: "OFF",
      state_on: "ON",
      state_off: "OFF",
      retain: false,
    });
    expect(charge?.value_template).toContain("value_json.charge_fet");
    expect(discharge?.command_topic).toBe("accusolar/battery/1/set/discharge");
    // the control feature subscribes to <prefix>/battery/+/set/#
    expect(topicMatches("accusolar/battery/+/set/#", String(charge?.command_topic))).toBe(true);
    // and the rule check rejects a switch without a command topic
    expect(problems("homeassistant/switch/x/config", { ...charge, command_topic: undefined })).toContain(
      "missing command_topic",
    );
  });

  it("are announced by the discovery feature when control is on", async () => {
    const mqtt = new FakeMqtt();
    const bus = new EventBus();
    const clock = new ManualClock();
    const feature = createHaDiscovery(
      {
        bus,
        mqtt,
        clock,
        logger: createMemoryLogger(),
        state: createBridgeState({ bus, clock }, { batteryIds: [], bankWindowMs: 0 }),
      },
      {
        prefix: "accusolar",
        qos: 1,
        energy: false,
        bank: false,
        swVersion: "0.1.0",
        bridgeId: "pi-1",
        control: true,
        staleScanMs: 10,
      },
    );
    await feature.start();
    bus.emit("reading", sampleReading({ batteryId: "1" }));
    await vi.waitFor(() => expect(mqtt.retainedTopics("homeassistant/switch/#")).toHaveLength(2));
    clock.tick(20);
    await feature.stop();
  });
});

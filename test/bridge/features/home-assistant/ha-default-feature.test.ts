import { describe, expect, it } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import { DEFAULT_FEATURES, type FeatureContext } from "../../../../src/bridge/features/default-features.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import { loadConfig } from "../../../../src/config/load.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FakeMqtt, ManualClock, sampleReading } from "../../../../src/testing/index.js";

function context(env: Record<string, string>): FeatureContext & { mqtt: FakeMqtt } {
  const config = loadConfig({
    env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2, A5:C2:37:46:27:CC", ...env },
    randomHex: () => "00",
  });
  // Discovery never touches the device; a runner that refuses proves it.
  const device = {
    runExclusive: () => Promise.reject(new Error("HA discovery must not use the device")),
  };
  const bus = new EventBus();
  const clock = new ManualClock();
  const state = createBridgeState(
    { bus, clock },
    { batteryIds: config.batteries.map((b) => b.id), bankWindowMs: 0 },
  );
  return {
    config,
    logger: createMemoryLogger(),
    clock,
    bus,
    mqtt: new FakeMqtt(),
    device,
    version: "9.9.9",
    state,
    health: { startedAt: clock.now(), adapters: () => [] },
  };
}

/** The Home Assistant feature among the bridge's default features, if the config turns it on. */
function haDiscoveryFeature(ctx: FeatureContext) {
  return DEFAULT_FEATURES.map((make) => make(ctx)).find((f) => f?.name === "ha-discovery");
}

describe("Home Assistant discovery among the bridge's default features", () => {
  it("is off when HA_DISCOVERY=0", () => {
    expect(haDiscoveryFeature(context({ HA_DISCOVERY: "0" }))).toBeUndefined();
  });

  it("announces batteries, the bank (two batteries) and energy counters (state file set) from the config", async () => {
    const ctx = context({
      HA_DISCOVERY: "1",
      BMS_ENERGY_STATE_FILE: "/tmp/energy.json",
      POLL_INTERVAL: "30",
    });
    const feature = haDiscoveryFeature(ctx);
    if (!feature) throw new Error("feature expected");
    await feature.start();
    ctx.bus.emit("reading", sampleReading({ batteryId: "2", address: "A5:C2:37:46:27:CC" }));
    await feature.stop();
    const topics = ctx.mqtt.retainedTopics("homeassistant/+/+/config");
    expect(topics).toContain("homeassistant/sensor/bmsbridge_a5c2374627cc_energy_charged/config");
    expect(topics).toContain("homeassistant/sensor/bmsbridge_bank_accusolar_time_to_empty/config");
    const soc = JSON.parse(
      ctx.mqtt.retainedPayload("homeassistant/sensor/bmsbridge_a5c2374627cc_soc/config") ?? "{}",
    );
    expect(soc.expire_after).toBe(300);
    expect(soc.origin).toEqual({ name: "bms-bridge", sw_version: "9.9.9" });
    expect(soc.state_topic).toBe("accusolar/battery/2/status");
  });
});

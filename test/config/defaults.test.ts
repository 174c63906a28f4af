import { describe, expect, it } from "vitest";
import { DEFAULT_CLIENT_OPTIONS } from "../../src/bridge/device/client.js";
import { DEFAULT_DISCOVERY_PREFIX } from "../../src/bridge/features/home-assistant/ha-payload.js";
import { DEFAULT_MQTT_OPTIONS } from "../../src/bridge/mqtt/options.js";
import { DEFAULT_PUBLISHER_OPTIONS } from "../../src/bridge/publish/accu-solar-publisher.js";
import { defaultClientId } from "../../src/config/defaults.js";
import { loadConfig } from "../../src/config/load.js";

describe("defaults, written once", () => {
  const config = loadConfig({
    env: { BMS_ADDRESS: "tcp:127.0.0.1:8899" },
    hostname: "pi-zero",
    randomHex: () => "abcdef",
  });

  it("gives a part built without a config the values an empty config file gives", () => {
    expect(DEFAULT_MQTT_OPTIONS).toMatchObject({
      prefix: config.mqtt.topicPrefix,
      qos: config.mqtt.qos,
      queueLimit: config.mqtt.queueLimit,
    });
    expect(DEFAULT_PUBLISHER_OPTIONS).toMatchObject({
      prefix: config.mqtt.topicPrefix,
      qos: config.mqtt.qos,
    });
    expect(DEFAULT_DISCOVERY_PREFIX).toBe(config.mqtt.haDiscoveryPrefix);
    expect(DEFAULT_CLIENT_OPTIONS).toMatchObject({
      timeoutMs: config.bridge.requestTimeoutMs,
      attempts: config.bridge.requestAttempts,
    });
  });

  it("makes one kind of client id, for the loader and a bare MQTT connection alike", () => {
    expect(config.mqtt.clientId).toBe("bms-bridge-pi-zero-abcdef");
    expect(defaultClientId("pi-zero", () => "abcdef")).toBe(config.mqtt.clientId);
    expect(defaultClientId("pi.local")).toMatch(/^bms-bridge-pilocal-[0-9a-f]{6}$/);
    expect(defaultClientId("…")).toMatch(/^bms-bridge-host-[0-9a-f]{6}$/);
  });
});

import { describe, expect, it } from "vitest";
import {
  availabilityTopic,
  batteryTopic,
  bridgeInfoTopic,
  bridgeStateTopic,
  systemHealthTopic,
  validateBatteryId,
  validateTopicPrefix,
} from "../../../src/bridge/mqtt/topics.js";
import { isBmsError } from "../../../src/errors.js";

describe("topic contract", () => {
  it("builds the plain Accu-Solar topics and the per-battery ones", () => {
    expect(batteryTopic("accusolar", undefined, "voltage")).toBe("accusolar/battery/voltage");
    expect(batteryTopic("accusolar", "2", "cells")).toBe("accusolar/battery/2/cells");
    expect(systemHealthTopic("accusolar")).toBe("accusolar/system/health");
    expect(bridgeStateTopic("home/solar")).toBe("home/solar/bridge/state");
    expect(bridgeStateTopic("home/solar", "shed")).toBe("home/solar/bridge/shed/state");
    expect(bridgeInfoTopic("home/solar", "shed")).toBe("home/solar/bridge/shed/info");
    expect(availabilityTopic("accusolar", "shed")).toBe("accusolar/battery/shed/availability");
  });

  it.each(["", "a/b", "+", "x#", "voltage", "status", "health", "availability", "my battery", "tab\t"])(
    "rejects the battery id %j",
    (id) => {
      expect(() => validateBatteryId(id)).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", context: { batteryId: id } }),
      );
    },
  );

  it("says which battery id is wrong, what to use and which names are taken", () => {
    expect(() => validateBatteryId("cells")).toThrow(
      'battery id "cells" cannot be used in MQTT topics: use letters, digits, "-" or "_" and not one of ' +
        "voltage, current, soc, power, temperature, cycles, capacity_remain, capacity_full, cells, status, " +
        "health, availability",
    );
  });

  it("accepts ordinary ids", () => {
    expect(() => validateBatteryId("shed-1")).not.toThrow();
    expect(() => validateBatteryId("Garage_2")).not.toThrow();
  });

  it.each(["", "a/+", "#", "/accusolar", "accusolar/", "a//b"])("rejects the prefix %j", (prefix) => {
    let caught: unknown;
    try {
      validateTopicPrefix(prefix);
    } catch (error) {
      caught = error;
    }
    expect(isBmsError(caught, "CONFIG_INVALID")).toBe(true);
    expect(caught).toMatchObject({
      message: `MQTT topic prefix "${prefix}" is invalid: no "+", "#", empty levels or leading/trailing "/"`,
      context: { prefix },
    });
  });

  it.each(["accusolar", "home/solar/bms"])("accepts the prefix %j", (prefix) => {
    expect(() => validateTopicPrefix(prefix)).not.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import {
  availabilityTopic,
  batteryTopic,
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
    expect(availabilityTopic("accusolar", "shed")).toBe("accusolar/battery/shed/availability");
  });

  it.each(["", "a/b", "+", "x#", "voltage", "status", "my battery"])("rejects the battery id %j", (id) => {
    expect(() => validateBatteryId(id)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });

  it("accepts ordinary ids", () => {
    expect(() => validateBatteryId("shed-1")).not.toThrow();
  });

  it.each(["", "a/+", "#", "/accusolar", "accusolar/", "a//b"])("rejects the prefix %j", (prefix) => {
    let caught: unknown;
    try {
      validateTopicPrefix(prefix);
    } catch (error) {
      caught = error;
    }
    expect(isBmsError(caught, "CONFIG_INVALID")).toBe(true);
  });
});

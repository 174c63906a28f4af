import { describe, expect, it } from "vitest";
import type { MqttMessageMeta } from "../../../src/bridge/mqtt/port.js";
import { SubscriptionTable } from "../../../src/bridge/mqtt/subscriptions.js";
import { createMemoryLogger } from "../../../src/log/logger.js";

const packet = (retain: boolean) =>
  ({ cmd: "publish", topic: "", payload: "", qos: 0, dup: false, retain }) as Parameters<
    SubscriptionTable["dispatch"]
  >[2];

describe("SubscriptionTable", () => {
  it("says when a filter is new and when its last handler left", () => {
    const table = new SubscriptionTable();
    const a = () => {};
    const b = () => {};
    expect(table.add("x/+", a)).toBe(true);
    expect(table.add("x/+", b)).toBe(false);
    expect(table.remove("x/+", a)).toBe(false);
    expect(table.remove("x/+", b)).toBe(true);
    expect(table.filters()).toEqual([]);
  });

  it("calls every matching handler with the retain flag, and survives one that throws", () => {
    const table = new SubscriptionTable();
    const logger = createMemoryLogger();
    const seen: Array<[string, string, MqttMessageMeta | undefined]> = [];
    table.add("cmd/#", () => {
      throw new Error("boom");
    });
    table.add("cmd/+/set", (topic, payload, meta) => seen.push([topic, payload.toString(), meta]));
    table.add("other", (topic) => seen.push([topic, "", undefined]));
    table.dispatch("cmd/1/set", Buffer.from("ON"), packet(true), logger);
    expect(seen).toEqual([["cmd/1/set", "ON", { retain: true }]]);
    expect(logger.records.map((r) => r.message)).toEqual(["handler for cmd/# failed: boom"]);
  });
});

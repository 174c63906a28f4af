/**
 * One battery's link (session-rig.ts, manual clock): what the session asks the opener and the BMS for,
 * the model read once per connection, the device facts it announces, and the stale link it drops.
 */
import { describe, expect, it } from "vitest";
import { BmsError } from "../../../src/errors.js";
import { encodeResponse } from "../../../src/protocol/frame.js";
import { encodeBasicInfo } from "../../../src/protocol/registers/basic-info.js";
import { encodeHardwareVersion } from "../../../src/protocol/registers/hardware-version.js";
import { DEFAULT_MODEL, healthyReply, sampleBasicInfo } from "../../../src/testing/index.js";
import { INTERVAL_MS, rig } from "./session-rig.js";

const refused = (register: number) => [encodeResponse(register, 0x80, new Uint8Array(0))];

describe("BatterySession link", () => {
  it("opens with connect_timeout, passing a stop signal only when it has one", async () => {
    const r = rig({ bridge: { connect_timeout: 7 } });
    await r.poll(false);
    const stop = new AbortController();
    await r.poll(false, stop.signal);
    expect(r.opens).toStrictEqual([{ timeoutMs: 7000 }, { timeoutMs: 7000, signal: stop.signal }]);
    expect(r.messages()).toContain("debug Battery 1 (memory:one): link open");
  });

  it("asks with request_timeout, request_attempts, each retry waiting 1.5× longer up to 4× the timeout", async () => {
    const r = rig({ bridge: { request_timeout: 1, request_attempts: 6 } });
    r.setSilent(true);
    expect(await r.poll()).toBe(false);
    expect(r.bms.requests.filter((q) => q.register === 0x03)).toHaveLength(6);
    const waits = r
      .messages()
      .filter((m) => m.includes("no reply to 0x03"))
      .map((m) => Number(/within (\d+) ms/.exec(m)?.[1]));
    // one debug line per retried attempt, then the warning: 1000, 1500, 2250, 3375, then 4000 (not 5063)
    expect(waits).toEqual([1000, 1500, 2250, 3375, 4000, 4000]);
    expect(r.outcomes[0]?.error?.message).toBe("memory:one: no reply to 0x03 within 4000 ms");
  });

  it("reads the model again on every new kept link (the battery behind the address may have changed)", async () => {
    const r = rig();
    await r.poll();
    r.bms.link?.drop();
    await r.poll();
    await r.poll();
    expect(r.bms.requests.map((q) => q.register)).toEqual([5, 3, 4, 5, 3, 4, 3, 4]);
    expect(r.bms.links).toHaveLength(2);
  });

  it("without a model: asks once per kept link, and on every rotation connect until it knows one", async () => {
    const kept = rig();
    kept.bms.responder = (request) => (request.register === 0x05 ? refused(5) : healthyReply(request));
    expect(await kept.poll()).toBe(true);
    expect(await kept.poll()).toBe(true);
    expect(kept.bms.requests.map((q) => q.register)).toEqual([5, 3, 4, 3, 4]);
    const rotating = rig();
    rotating.bms.responder = kept.bms.responder;
    expect(await rotating.poll(false)).toBe(true);
    expect(await rotating.poll(false)).toBe(true);
    expect(rotating.bms.requests.map((q) => q.register)).toEqual([5, 3, 4, 5, 3, 4]);
    rotating.bms.responder = healthyReply;
    await rotating.poll(false);
    await rotating.poll(false);
    expect(rotating.bms.requests.map((q) => q.register).slice(6)).toEqual([5, 3, 4, 3, 4]);
  });

  it("publishes a BMS that refuses 0x05 without a model, saying why at debug level", async () => {
    const r = rig();
    r.bms.responder = (request) => (request.register === 0x05 ? refused(5) : healthyReply(request));
    expect(await r.poll()).toBe(true);
    expect(r.deviceInfo).toStrictEqual([{ batteryId: "1", address: "memory:one", softwareVersionRaw: 0x10 }]);
    expect("model" in (r.readings[0] ?? {})).toBe(false);
    expect(r.messages()).toContain(
      "debug Battery 1 (memory:one): no model string (memory:one: 0x05 refused: command or register does not exist)",
    );
    expect(r.messages()).toContain("info Battery 1 (memory:one): connected");
  });

  it("fails the poll when the link dies during 0x05, without calling it a missing model", async () => {
    const r = rig();
    r.bms.responder = (request, bms) => {
      if (request.register !== 0x05) return healthyReply(request);
      queueMicrotask(() => bms.link?.drop());
      return undefined;
    };
    expect(await r.poll()).toBe(false);
    expect(r.bms.requests.map((q) => q.register)).toEqual([5]);
    expect(r.outcomes.map((o) => o.error?.code)).toEqual(["DISCONNECTED"]);
    expect(r.messages().filter((m) => m.includes("no model string"))).toEqual([]);
  });

  it("announces the device facts again only when the model or the firmware version changes", async () => {
    const r = rig();
    let model = DEFAULT_MODEL;
    let firmware = 0x10;
    r.bms.responder = (request) => {
      if (request.register === 0x05) return [encodeResponse(5, 0, encodeHardwareVersion({ text: model }))];
      if (request.register === 0x03)
        return [encodeResponse(3, 0, encodeBasicInfo(sampleBasicInfo({ softwareVersionRaw: firmware })))];
      return healthyReply(request);
    };
    await r.poll();
    r.bms.link?.drop(); // reconnects: the same facts are not news
    await r.poll();
    firmware = 0x11; // updated firmware
    await r.poll();
    model = "DP04S007L4S100A"; // another battery behind the address, found on the next link
    r.bms.link?.drop();
    await r.poll();
    expect(r.deviceInfo).toStrictEqual([
      { batteryId: "1", address: "memory:one", model: DEFAULT_MODEL, softwareVersionRaw: 0x10 },
      { batteryId: "1", address: "memory:one", model: DEFAULT_MODEL, softwareVersionRaw: 0x11 },
      { batteryId: "1", address: "memory:one", model: "DP04S007L4S100A", softwareVersionRaw: 0x11 },
    ]);
    expect(r.readings.map((x) => x.model)).toEqual([
      DEFAULT_MODEL,
      DEFAULT_MODEL,
      DEFAULT_MODEL,
      "DP04S007L4S100A",
    ]);
  });

  it("announces an empty model text as a change from none", async () => {
    const r = rig();
    r.bms.responder = (request) => (request.register === 0x05 ? refused(5) : healthyReply(request));
    await r.poll();
    r.bms.responder = (request) =>
      request.register === 0x05
        ? [encodeResponse(5, 0, encodeHardwareVersion({ text: "" }))]
        : healthyReply(request);
    r.bms.link?.drop();
    await r.poll();
    expect(r.deviceInfo).toStrictEqual([
      { batteryId: "1", address: "memory:one", softwareVersionRaw: 0x10 },
      { batteryId: "1", address: "memory:one", model: "", softwareVersionRaw: 0x10 },
    ]);
  });
});

describe("BatterySession stale link", () => {
  it("drops a kept link exactly stale_after_polls intervals after the last valid reading", async () => {
    const r = rig();
    await r.poll();
    r.clock.tick((r.readings.at(-1)?.time as number) + 2 * INTERVAL_MS - 1 - r.clock.now());
    await r.poll(); // 19.999 s after the reading: kept
    expect(r.bms.links).toHaveLength(1);
    r.clock.tick((r.readings.at(-1)?.time as number) + 2 * INTERVAL_MS - r.clock.now());
    await r.poll(); // 20 s: dropped, read over a new link
    expect(r.bms.links).toHaveLength(2);
    expect(r.readings).toHaveLength(3);
    expect(r.messages().filter((m) => m.includes("reconnecting"))).toEqual([
      "info Battery 1 (memory:one): no valid reading for 20 s, reconnecting",
    ]);
  });

  it("gives a new link its own stale_after_polls intervals, logs a repeat at debug, and again at info after a reading", async () => {
    const r = rig();
    await r.poll();
    r.setSilent(true);
    r.clock.tick(2 * INTERVAL_MS);
    await r.poll(); // 20 s silent: dropped, the new link fails too
    expect(r.bms.links).toHaveLength(2);
    r.clock.tick(INTERVAL_MS);
    await r.poll(); // 31 s without a reading, but the new link is 11 s old: kept
    expect(r.bms.links).toHaveLength(2);
    r.clock.tick(INTERVAL_MS);
    await r.poll(); // the new link is 22 s old: dropped again
    expect(r.bms.links).toHaveLength(3);
    r.setSilent(false);
    r.clock.tick(2 * INTERVAL_MS);
    await r.poll(); // dropped once more, then a reading
    r.setSilent(true);
    r.clock.tick(2 * INTERVAL_MS);
    await r.poll();
    const stale = r.messages().filter((m) => m.includes("reconnecting"));
    expect(stale).toEqual([
      "info Battery 1 (memory:one): no valid reading for 20 s, reconnecting",
      "debug Battery 1 (memory:one): no valid reading for 43 s, reconnecting",
      "debug Battery 1 (memory:one): no valid reading for 65 s, reconnecting",
      "info Battery 1 (memory:one): no valid reading for 20 s, reconnecting",
    ]);
  });

  it("never calls a rotating battery stale: it has no link between polls", async () => {
    const r = rig();
    await r.poll(false);
    r.setSilent(true);
    for (let i = 0; i < 2; i++) {
      r.clock.tick(INTERVAL_MS);
      await r.poll(false);
    }
    r.setOpenError(new BmsError("DEVICE_NOT_FOUND", "A5:C2:37:00:00:01 not advertising"));
    for (let i = 0; i < 3; i++) {
      r.clock.tick(INTERVAL_MS);
      await r.poll(false);
    }
    expect(r.messages().filter((m) => m.includes("reconnecting"))).toEqual([]);
  });

  it("says so at info level for a battery that has not read once, and counts the new link as a reconnect", async () => {
    const r = rig();
    r.setSilent(true);
    await r.poll(); // 0x05 and 0x03 time out: 2 s
    r.clock.tick(2 * INTERVAL_MS);
    await r.poll();
    expect(r.messages().filter((m) => m.includes("reconnecting"))).toEqual([
      "info Battery 1 (memory:one): no valid reading for 22 s, reconnecting",
    ]);
    expect(r.outcomes.map((o) => o.reconnected)).toEqual([false, true]);
  });
});

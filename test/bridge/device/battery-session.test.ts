/**
 * One battery's session on the manual clock (session-rig.ts): what it emits and when, back-off, stale
 * links, going offline on time, and that nothing outlives close(). battery-session-link.test.ts and
 * battery-session-stop.test.ts cover the link, the model and the poll outcomes, and stopping.
 */
import { describe, expect, it } from "vitest";
import type { BatteryReading } from "../../../src/bridge/types.js";
import { BmsError } from "../../../src/errors.js";
import { encodeResponse } from "../../../src/protocol/frame.js";
import { DEFAULT_MODEL, healthyReply } from "../../../src/testing/index.js";
import { INTERVAL_MS, rig } from "./session-rig.js";

describe("BatterySession", () => {
  it("says online, then hands over the reading with its model; later readings alone", async () => {
    const r = rig();
    expect(await r.poll()).toBe(true);
    expect(r.events).toEqual(["deviceInfo", "online: reading ok", "reading 1"]);
    expect(r.readings[0]).toMatchObject({ seq: 1, time: r.clock.now(), model: DEFAULT_MODEL });
    expect(await r.poll()).toBe(true);
    expect(r.events.slice(3)).toEqual(["reading 2"]);
    // 0x05 once per kept connection, then 0x03 + 0x04 per poll, all over one link
    expect(r.bms.requests.map((q) => q.register)).toEqual([0x05, 0x03, 0x04, 0x03, 0x04]);
    expect(r.bms.links).toHaveLength(1);
  });

  it("connects, reads and disconnects each poll when the link is not kept, reading the model only once", async () => {
    const r = rig();
    await r.poll(false);
    await r.poll(false);
    expect(r.bms.requests.map((q) => q.register)).toEqual([0x05, 0x03, 0x04, 0x03, 0x04]);
    expect(r.bms.links.map((link) => link.isOpen)).toEqual([false, false]);
    expect(r.session.isConnected).toBe(false);
  });

  it("backs off after failures, doubling up to backoff_max, and returns to the interval after a reading", async () => {
    const r = rig();
    r.setSilent(true);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(await r.poll()).toBe(false);
      delays.push(r.session.nextDelayMs());
    }
    expect(delays).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(r.session.failures).toBe(5);
    r.setSilent(false);
    expect(await r.poll()).toBe(true);
    expect(r.session.nextDelayMs()).toBe(INTERVAL_MS);
    expect(r.session.failures).toBe(0);
  });

  it("keeps the interval while its adapter is away, and starts the back-off over when it returns", async () => {
    const r = rig(); // rotation: every poll opens the link, so the adapter is asked each time
    r.setSilent(true);
    for (let i = 0; i < 3; i++) await r.poll(false); // the battery's own failures: 10, 20, 40 s
    expect(r.session.nextDelayMs()).toBe(40_000);
    r.setOpenError(new BmsError("ADAPTER_LOST", "Bluetooth adapter hci-test lost"));
    for (let i = 0; i < 3; i++) {
      expect(await r.poll(false)).toBe(false);
      expect(r.session.nextDelayMs()).toBe(INTERVAL_MS);
    }
    // back: the first try still fails (the peer holds the old link), then the back-off starts from one interval
    r.setOpenError(undefined);
    expect(await r.poll(false)).toBe(false);
    expect(r.session.failures).toBe(7);
    expect(r.session.nextDelayMs()).toBe(INTERVAL_MS);
    expect(await r.poll(false)).toBe(false);
    expect(r.session.nextDelayMs()).toBe(20_000);
    r.setSilent(false);
    expect(await r.poll(false)).toBe(true);
    expect(r.session.nextDelayMs()).toBe(INTERVAL_MS);
  });

  it("logs once per change of the back-off, not once per failed poll", async () => {
    const r = rig();
    r.setSilent(true);
    for (let i = 0; i < 5; i++) await r.poll();
    expect(r.warnings()).toHaveLength(4); // 10, 20, 40, 60 s; the second 60 s is debug only
    expect(r.warnings()[0]).toMatch(/read failed \(.*no reply to 0x03.*\); next try in 10 s/);
    expect(r.warnings()[3]).toMatch(/still failing after 4 attempts/);
    r.setSilent(false);
    await r.poll();
    expect(r.logger.records.at(-1)?.message).toMatch(/reading again after 5 failed attempt\(s\)/);
  });

  it("goes offline offline_after_polls intervals after the last reading, on the clock, without any poll", async () => {
    const r = rig();
    await r.poll();
    const read = r.readings[0]?.time as number;
    r.clock.tick(read + 3 * INTERVAL_MS - 1 - r.clock.now());
    expect(r.events.filter((e) => e.startsWith("offline"))).toEqual([]);
    r.clock.tick(1);
    expect(r.events.at(-1)).toBe("offline: no valid reading for 30 s");
    await r.poll();
    expect(r.events.slice(-2)).toEqual(["online: reading ok", "reading 2"]);
  });

  it("names the last error when it goes offline after failures", async () => {
    const r = rig();
    await r.poll();
    r.setSilent(true);
    await r.poll();
    r.clock.tick(3 * INTERVAL_MS);
    expect(r.events.at(-1)).toMatch(/^offline: no valid reading for 30 s: no reply \(.*no reply to 0x03/);
  });

  it("names the last error when it goes offline without having read once", async () => {
    const r = rig();
    r.setSilent(true);
    await r.poll();
    r.clock.tick(3 * INTERVAL_MS);
    expect(r.events).toEqual([
      "offline: no valid reading for 30 s: no reply (memory:one: no reply to 0x03 within 1000 ms)",
    ]);
  });

  it("leaves no timer behind after close(): it never goes offline later", async () => {
    const r = rig();
    await r.poll();
    await r.session.close();
    expect(r.clock.pending).toBe(0);
    r.clock.tick(10 * INTERVAL_MS);
    expect(r.events.filter((e) => e.startsWith("offline"))).toEqual([]);
    expect(await r.session.poll({ keepConnected: true })).toBe(false);
    expect(r.bms.links.at(-1)?.isOpen).toBe(false);
  });

  it("drops a link that gave no valid reading for stale_after_polls intervals and reconnects", async () => {
    const r = rig();
    await r.poll();
    r.setSilent(true);
    r.clock.tick(INTERVAL_MS);
    await r.poll(); // silent for 10 s: the link is kept
    expect(r.bms.links).toHaveLength(1);
    r.clock.tick(INTERVAL_MS);
    r.setSilent(false);
    expect(await r.poll()).toBe(true); // silent for 20 s + the failed poll: a new link
    expect(r.bms.links).toHaveLength(2);
    expect(r.bms.links[0]?.isOpen).toBe(false);
    expect(
      r.logger.records.some((l) => /no valid reading for 2\d(\.\d)? s, reconnecting/.test(l.message)),
    ).toBe(true);
  });

  it("fails the poll, and publishes nothing, on a reply with a valid checksum that does not decode", async () => {
    const r = rig();
    r.bms.responder = (request) =>
      request.register === 0x03 ? [encodeResponse(0x03, 0, Uint8Array.of(1, 2, 3))] : healthyReply(request);
    expect(await r.poll()).toBe(false);
    expect(r.readings).toEqual([]);
    expect(r.session.failures).toBe(1);
    expect(r.warnings()[0]).toMatch(/read failed/);
  });

  it("does not count a poll cut short by stop as a failure", async () => {
    const r = rig();
    r.setSilent(true);
    const stop = new AbortController();
    const polled = r.poll(true, stop.signal);
    await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    expect(await polled).toBe(false);
    expect(r.session.failures).toBe(0);
    expect(r.warnings()).toEqual([]);
    expect(r.session.isConnected).toBe(false);
  });

  it("takes a reading made outside poll() (a control read-back) as the latest one", async () => {
    const r = rig();
    await r.poll();
    const first = r.readings[0] as BatteryReading;
    r.session.acceptReading(first.basic, first.cells);
    expect(r.events.at(-1)).toBe("reading 2");
    expect(r.readings.at(-1)?.time).toBe(r.clock.now());
  });
});

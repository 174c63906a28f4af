import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PollOutcome } from "../../../src/bridge/types.js";
import { BmsError } from "../../../src/errors.js";
import { rig, seqOf, stop } from "./poller-rig.js";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 1, 22, 13, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Poller with one battery", () => {
  it("reads 0x05 once, then 0x03 + 0x04 every POLL_INTERVAL over one kept link", async () => {
    const r = rig({ addresses: ["memory:one"] });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(10_001);
    await stop(r.poller);
    const bms = r.bmsFor("memory:one");
    expect(bms.requests.map((q) => q.register)).toEqual([0x05, 0x03, 0x04, 0x03, 0x04, 0x03, 0x04]);
    expect(bms.links).toHaveLength(1);
    expect(seqOf(r.readings, "1")).toEqual([1, 2, 3]);
    expect(r.readings.map((x) => x.time - (r.readings[0]?.time ?? 0))).toEqual([0, 5000, 10_000]);
    expect(r.readings[0]?.model).toBe("DP04S007L4S200A");
    expect(r.deviceInfo).toEqual([
      { batteryId: "1", address: "memory:one", model: "DP04S007L4S200A", softwareVersionRaw: 0x10 },
    ]);
    expect(r.availability.map((a) => a.state)).toEqual(["online"]);
    expect(bms.requests.every((q) => q.op === "read")).toBe(true);
    expect(bms.link?.isOpen).toBe(false); // stop() closed it
  });

  it("disconnects after every read when disconnect_between_polls is set (the phone app can connect)", async () => {
    const r = rig({ addresses: ["memory:one"], bridge: { disconnect_between_polls: true } });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(10_001);
    await stop(r.poller);
    const bms = r.bmsFor("memory:one");
    expect(bms.links).toHaveLength(3);
    expect(bms.links.every((l) => !l.isOpen)).toBe(true);
    // the model is known after the first connection: no 0x05 on later ones
    expect(bms.requests.map((q) => q.register)).toEqual([0x05, 0x03, 0x04, 0x03, 0x04, 0x03, 0x04]);
  });

  it("backs off exponentially up to backoff_max and logs once per back-off step", async () => {
    const r = rig({
      addresses: ["memory:one"],
      bridge: { backoff_max: 20, request_attempts: 1, stale_after_polls: 1000, offline_after_polls: 1000 },
    });
    const bms = r.bmsFor("memory:one");
    const askedAt: number[] = [];
    const t0 = Date.now();
    bms.responderOverride = (request) => {
      if (request.register === 0x03) askedAt.push(Date.now() - t0);
      return undefined;
    };
    r.poller.start();
    await vi.advanceTimersByTimeAsync(120_000);
    await stop(r.poller);
    // each failed poll spends 0.5 s waiting for 0x03; failure k then waits min(5 s × 2^(k-1), 20 s)
    const gaps = askedAt.slice(1).map((t, i) => t - (askedAt[i] as number));
    expect(gaps.slice(0, 5)).toEqual([5500, 10_500, 20_500, 20_500, 20_500]);
    const warnings = r.logger.records.filter((x) => x.level === "warn").map((x) => x.message);
    expect(warnings).toHaveLength(3); // 5 s, 10 s, 20 s — then silence at the cap
    expect(warnings[0]).toMatch(/^Battery 1 \(memory:one\): read failed \(.*\); next try in 5 s$/);
    expect(warnings[2]).toMatch(/still failing after 3 attempts .*; next try in 20 s$/);
  });

  it("an adapter away is not the batteries' fault: no back-off, no warning each, offline with the cause, back within an interval", async () => {
    const macs = ["A5:C2:37:00:00:01", "A5:C2:37:00:00:02"];
    const r = rig({
      addresses: macs,
      bridge: {
        disconnect_between_polls: true,
        backoff_max: 60,
        stale_after_polls: 2,
        offline_after_polls: 3,
      },
    });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(r.readings).toHaveLength(2);
    r.adapter.away = new BmsError("ADAPTER_LOST", "Bluetooth adapter hci0 lost: it went poweredOff");
    const lostAt = Date.now();
    await vi.advanceTimersByTimeAsync(60_000);
    for (const mac of macs) {
      const asked = (r.adapter.asked.get(mac) ?? []).filter((t) => t > lostAt);
      const gaps = asked.slice(1).map((t, i) => t - (asked[i] as number));
      expect(new Set(gaps), mac).toEqual(new Set([5000])); // the poll interval, never a growing back-off
    }
    expect(r.logger.records.filter((x) => x.level === "warn")).toEqual([]); // the adapter logs, once
    const offline = r.availability.filter((a) => a.state === "offline");
    expect(offline.map((a) => a.cause)).toEqual(["adapter_lost", "adapter_lost"]);
    expect(offline[0]?.reason).toMatch(
      /^no valid reading for 15 s: adapter lost \(Bluetooth adapter hci0 lost/,
    );
    r.adapter.away = undefined;
    const back = Date.now();
    // both at their next poll: one interval, plus the moment the first one's read takes
    await vi.advanceTimersByTimeAsync(5100);
    expect(
      r.readings
        .filter((x) => x.time > back)
        .map((x) => x.batteryId)
        .sort(),
    ).toEqual(["1", "2"]);
    expect(r.availability.slice(-2).map((a) => a.state)).toEqual(["online", "online"]);
    await stop(r.poller);
  });

  it("reports every poll's outcome; a lost kept link reopened counts as a reconnect, a rotation does not", async () => {
    const r = rig({
      addresses: ["memory:kept", "memory:rotating"],
      batteries: [{ address: "memory:kept" }, { address: "memory:rotating", disconnect_between_polls: true }],
    });
    const outcomes: PollOutcome[] = [];
    r.bus.on("poll", (o) => outcomes.push(o));
    r.poller.start();
    await vi.advanceTimersByTimeAsync(10_001); // 3 polls each
    r.bmsFor("memory:kept").link?.drop(); // the kept link dies between polls
    await vi.advanceTimersByTimeAsync(10_000);
    await stop(r.poller);
    const of = (id: string) => outcomes.filter((o) => o.batteryId === id);
    expect(of("1").map((o) => o.ok)).toEqual([true, true, true, true, true]);
    expect(of("1").map((o) => o.reconnected)).toEqual([false, false, false, true, false]);
    expect(of("2").every((o) => o.ok && !o.reconnected)).toBe(true);
    expect(r.bmsFor("memory:rotating").links.length).toBe(of("2").length); // a new link every poll
  });

  it("goes stale → reconnects, then offline with a reason, then online again by itself", async () => {
    const r = rig({
      addresses: ["memory:one"],
      bridge: { stale_after_polls: 2, offline_after_polls: 4, backoff_max: 5 },
    });
    const bms = r.bmsFor("memory:one");
    r.poller.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(r.readings).toHaveLength(1);
    bms.responderOverride = () => undefined; // the BMS stops answering, the link stays up
    await vi.advanceTimersByTimeAsync(12_000);
    expect(bms.links.length).toBeGreaterThanOrEqual(2); // dropped and reopened after 2 silent intervals
    expect(r.availability.map((a) => a.state)).toEqual(["online"]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.availability.map((a) => a.state)).toEqual(["online", "offline"]);
    expect(r.availability[1]?.reason).toMatch(/^no valid reading for 20 s: no reply \(.*no reply to 0x/);
    expect(r.availability[1]?.cause).toBe("no_reply");
    expect((r.availability[1]?.time ?? 0) - (r.readings[0]?.time ?? 0)).toBe(20_000);
    bms.responderOverride = undefined;
    await vi.advanceTimersByTimeAsync(6000);
    await stop(r.poller);
    expect(r.availability.map((a) => a.state)).toEqual(["online", "offline", "online"]);
    expect(seqOf(r.readings, "1")).toEqual([1, 2]);
    const infos = r.logger.records.filter((x) => x.level === "info").map((x) => x.message);
    expect(infos.filter((m) => m.includes("reconnecting"))).toHaveLength(1);
    expect(infos.at(-1)).toMatch(/reading again after \d+ failed attempt/);
  });

  it("stops at once during a read, closing the link without logging a failure", async () => {
    const r = rig({ addresses: ["memory:one"], bridge: { request_timeout: 10 } });
    const bms = r.bmsFor("memory:one");
    bms.responderOverride = () => undefined;
    r.poller.start();
    await vi.advanceTimersByTimeAsync(100); // 0x05 sent, its 10 s timeout pending
    await r.poller.stop(); // resolves without advancing time: the read was cancelled, not timed out
    expect(bms.link?.isOpen).toBe(false);
    expect(r.logger.records.filter((x) => x.level === "warn")).toEqual([]);
  });

  it("marks a battery that never answers offline after offline_after_polls intervals from start", async () => {
    const r = rig({ addresses: ["memory:one"], bridge: { offline_after_polls: 3 } });
    r.bmsFor("memory:one").responderOverride = () => undefined;
    r.poller.start();
    await vi.advanceTimersByTimeAsync(15_001);
    await stop(r.poller);
    expect(r.availability.map((a) => [a.state, a.time - Date.UTC(2026, 1, 22, 13, 0, 0)])).toEqual([
      ["offline", 15_000],
    ]);
  });
});

describe("Poller with many batteries", () => {
  const eight = Array.from({ length: 8 }, (_, i) => `A5:C2:37:00:00:0${i + 1}`);

  it("puts all BLE batteries of one adapter in one group and never runs two operations at once on it", async () => {
    const r = rig({ addresses: eight, connectMs: 300, replyMs: 80 });
    expect(r.poller.groups).toEqual([
      { key: "ble:native", batteryIds: ["1", "2", "3", "4", "5", "6", "7", "8"] },
    ]);
    r.poller.start();
    await vi.advanceTimersByTimeAsync(60_000);
    // measured before stop(): stopping abandons a reply still on its way, which this fake counts as busy
    expect(r.adapter.overlaps).toBe(0);
    await stop(r.poller);
    for (const id of ["1", "2", "3", "4", "5", "6", "7", "8"])
      expect(seqOf(r.readings, id).length).toBeGreaterThanOrEqual(10);
  });

  it("keeps max_connections links and rotates connect-read-disconnect for the rest", async () => {
    const r = rig({ addresses: eight.slice(0, 5), bridge: { max_connections: 2 } });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(20_500);
    await stop(r.poller);
    const linksPer = eight.slice(0, 5).map((mac) => r.bmsFor(mac).links.length);
    expect(linksPer).toEqual([1, 1, 5, 5, 5]);
    expect(seqOf(r.readings, "3")).toEqual([1, 2, 3, 4, 5]);
  });

  it("separates adapters and media: TCP/serial/memory batteries each get their own group", async () => {
    const r = rig({
      addresses: [],
      batteries: [
        { address: eight[0] },
        { address: eight[1], hci: "native:1" },
        { address: eight[2] },
        { address: "memory:a" },
        { address: "tcp:10.0.0.5:8899" },
      ],
    });
    // ids from the addresses (unique across a site), 1…N for in-process batteries
    expect(r.poller.groups).toEqual([
      { key: "ble:native", batteryIds: ["a5c237000001", "a5c237000003"] },
      { key: "ble:native:1", batteryIds: ["a5c237000002"] },
      { key: "memory:a", batteryIds: ["4"] },
      { key: "tcp:10.0.0.5:8899", batteryIds: ["tcp-10-0-0-5-8899"] },
    ]);
  });

  it("reads back to back without piling up when a cycle takes longer than the interval", async () => {
    // 4 rotating batteries × 2 s connect = 8 s per cycle > 5 s interval
    const r = rig({ addresses: eight.slice(0, 4), bridge: { max_connections: 1 }, connectMs: 2000 });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(80_000);
    // measured before stop(): stopping abandons a reply still on its way, which this fake counts as busy
    expect(r.adapter.overlaps).toBe(0);
    await stop(r.poller);
    const counts = ["1", "2", "3", "4"].map((id) => seqOf(r.readings, id).length);
    // fair round robin: nobody starves, and no burst of queued polls (at most ~80 s / 5 s = 16 each)
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(3);
    expect(Math.max(...counts)).toBeLessThanOrEqual(16);
    const warnings = r.logger.records.filter((x) =>
      x.message.includes("takes longer than the poll interval"),
    );
    expect(warnings).toHaveLength(1);
  });

  it("keeps reading the healthy batteries while one fails", async () => {
    const r = rig({ addresses: eight.slice(0, 3) });
    r.bmsFor(eight[1] as string).responderOverride = () => undefined;
    r.poller.start();
    await vi.advanceTimersByTimeAsync(30_001);
    await stop(r.poller);
    expect(seqOf(r.readings, "1").length).toBeGreaterThanOrEqual(6);
    expect(seqOf(r.readings, "3").length).toBeGreaterThanOrEqual(6);
    expect(seqOf(r.readings, "2")).toEqual([]);
    expect(r.availability.filter((a) => a.batteryId === "2").map((a) => a.state)).toEqual(["offline"]);
  });
});

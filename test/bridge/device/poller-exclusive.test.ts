/**
 * The poller's runExclusive() (src/bridge/device/poller.ts), which MOSFET control and the mirror use:
 * work for one battery run inside its group's loop, between polls, with the battery's session and mode,
 * and what a caller gets for an unknown battery or once the bridge stops. Also: start() twice is one loop.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ExclusiveAccess } from "../../../src/bridge/device/poller.js";
import { rig, seqOf, stop } from "./poller-rig.js";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 1, 22, 13, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

const macs = ["A5:C2:37:00:00:01", "A5:C2:37:00:00:02"];
const describeAccess = (a: ExclusiveAccess) => ({
  battery: a.session.battery.id,
  keepConnected: a.keepConnected,
  stopping: a.signal.aborted,
});

describe("Poller runExclusive", () => {
  it("runs at once between polls, with the battery's session and whether its link is kept", async () => {
    const r = rig({ addresses: macs, bridge: { max_connections: 1 }, connectMs: 300, replyMs: 80 });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(2000); // both read, the group sleeps until 5 s
    const asked = Date.now();
    const ranAt: number[] = [];
    const work = (a: ExclusiveAccess) => {
      ranAt.push(Date.now() - asked);
      return a.session.withClient(
        async (client) => ({ ...describeAccess(a), model: await client.readModel() }),
        a,
      );
    };
    const second = r.poller.runExclusive("2", work);
    const first = r.poller.runExclusive("1", work);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await second).toEqual({
      battery: "2",
      keepConnected: false,
      stopping: false,
      model: "DP04S007L4S200A",
    });
    expect(await first).toEqual({
      battery: "1",
      keepConnected: true,
      stopping: false,
      model: "DP04S007L4S200A",
    });
    expect(ranAt[0]).toBe(0); // woken: not at the next due poll
    expect(r.adapter.overlaps).toBe(0);
    await stop(r.poller);
  });

  it("rejects an unknown battery with DEVICE_NOT_FOUND naming it", async () => {
    const r = rig({ addresses: ["memory:one"] });
    const error = await r.poller.runExclusive("9", async () => "ran").catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "DEVICE_NOT_FOUND",
      message: 'no configured battery "9"',
      context: { batteryId: "9" },
    });
  });

  it("rejects with CANCELED once the bridge stops, also work queued behind the poll that stop cut short", async () => {
    const r = rig({ addresses: ["memory:one"], bridge: { request_timeout: 10 } });
    r.bmsFor("memory:one").responderOverride = () => undefined;
    r.poller.start();
    await vi.advanceTimersByTimeAsync(100); // a read in progress
    let ran = 0;
    const queued = r.poller.runExclusive("1", async () => ran++).catch((e: unknown) => e);
    await stop(r.poller);
    const late = await r.poller.runExclusive("1", async () => ran++).catch((e: unknown) => e);
    for (const error of [await queued, late])
      expect(error).toMatchObject({ code: "CANCELED", message: "the bridge is stopping" });
    expect(ran).toBe(0);
  });

  it("stops at once while the loops sleep", async () => {
    const r = rig({ addresses: ["memory:one", ...macs] });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(1000);
    const at = Date.now();
    await r.poller.stop(); // resolves without the fake clock moving
    expect(Date.now()).toBe(at);
    expect(r.readings).toHaveLength(3);
  });

  it("gives the max_connections kept links to batteries that keep theirs, not to one set to disconnect", async () => {
    const r = rig({
      addresses: [],
      batteries: [{ address: macs[0], disconnect_between_polls: true }, { address: macs[1] }],
      bridge: { max_connections: 1 },
    });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(10_001);
    await stop(r.poller);
    expect(macs.map((mac) => r.bmsFor(mac).links.length)).toEqual([3, 1]);
  });

  it("starts one loop per group however often start() is called", async () => {
    const r = rig({ addresses: ["memory:one"] });
    r.poller.start();
    r.poller.start();
    await vi.advanceTimersByTimeAsync(10_001);
    await stop(r.poller);
    expect(seqOf(r.readings, "1")).toEqual([1, 2, 3]);
  });
});

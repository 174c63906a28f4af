/**
 * The poller's schedule under load (src/bridge/device/poller.ts): what it logs when a group cannot keep up
 * with the poll interval and when it can again, the order of batteries due at the same time, and no
 * MaxListenersExceededWarning on stderr with more than 10 batteries.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { healthyReply } from "../../../src/testing/index.js";
import { systemClock } from "../../../src/util/clock.js";
import { rig, stop } from "./poller-rig.js";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 1, 22, 13, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

const macs = Array.from({ length: 3 }, (_, i) => `A5:C2:37:00:00:0${i + 1}`);
const lines = (r: ReturnType<typeof rig>) =>
  r.logger.records.filter((x) => x.message.startsWith("polling")).map((x) => `${x.level} ${x.message}`);

describe("Poller overrun", () => {
  it("says once when one battery's reads take longer than the interval, and once when they keep up again", async () => {
    const r = rig({ addresses: ["memory:one"], bridge: { request_timeout: 10 } });
    const bms = r.bmsFor("memory:one");
    let replyMs = 3000; // 0x03 + 0x04: 6 s per poll, interval 5 s
    bms.responderOverride = (request) => {
      const reply = healthyReply(request);
      if (replyMs === 0 || !reply) return reply;
      const link = bms.link;
      systemClock.setTimeout(() => {
        for (const chunk of reply) link?.emitData(chunk);
      }, replyMs);
      return undefined;
    };
    r.poller.start();
    await vi.advanceTimersByTimeAsync(30_000);
    replyMs = 0;
    await vi.advanceTimersByTimeAsync(20_000);
    await stop(r.poller);
    expect(lines(r)).toEqual([
      "warn polling 1 battery on memory:one takes longer than the poll interval; reading back to back",
      "info polling on memory:one keeps up with the poll interval again",
    ]);
  });

  it("counts the batteries of an adapter in the warning, and says nothing for a group that keeps up", async () => {
    const run = async (connectMs: number) => {
      const r = rig({ addresses: macs.slice(0, 2), bridge: { max_connections: 1 }, connectMs });
      r.poller.start();
      await vi.advanceTimersByTimeAsync(30_000);
      await stop(r.poller);
      return r;
    };
    const slow = await run(6000);
    const fast = await run(1000);
    expect(lines(slow)).toEqual([
      "warn polling 2 batteries on ble:native takes longer than the poll interval; reading back to back",
    ]);
    expect(lines(fast)).toEqual([]);
  });

  it("keeps up when a poll takes exactly the interval", async () => {
    const r = rig({
      addresses: macs.slice(0, 1),
      bridge: { disconnect_between_polls: true },
      connectMs: 5000,
    });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(30_000);
    await stop(r.poller);
    // (stop() lets the connect in progress end: the fake adapter does not cancel it)
    expect(r.readings.map((x) => x.time - Date.UTC(2026, 1, 22, 13, 0, 0))).toEqual([
      5000, 10_000, 15_000, 20_000, 25_000, 30_000, 35_000,
    ]);
    expect(lines(r)).toEqual([]);
  });

  it("polls batteries due at the same time in the order of the configuration", async () => {
    const r = rig({ addresses: macs });
    r.poller.start();
    await vi.advanceTimersByTimeAsync(5001);
    await stop(r.poller);
    expect(r.readings.map((x) => x.batteryId)).toEqual(["1", "2", "3", "1", "2", "3"]);
  });

  it("warns nothing about listeners with 12 batteries (Node warns on stderr at more than 10)", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const r = rig({ addresses: Array.from({ length: 12 }, (_, i) => `memory:${i + 1}`) });
      r.poller.start();
      await vi.advanceTimersByTimeAsync(10_001);
      await stop(r.poller);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(r.readings).toHaveLength(36);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });
});

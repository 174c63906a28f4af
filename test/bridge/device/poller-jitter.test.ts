import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { rig, stop } from "./poller-rig.js";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 1, 22, 13, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Poller jitter", () => {
  /** Reading times (ms after the start) of one battery polled every 5 s with ±10 % jitter. */
  async function readingTimes(random: () => number, forMs: number): Promise<number[]> {
    const r = rig({ addresses: ["memory:one"], bridge: { jitter: 0.1 }, random });
    const start = Date.now();
    r.poller.start();
    await vi.advanceTimersByTimeAsync(forMs);
    await stop(r.poller);
    return r.readings.map((reading) => reading.time - start);
  }

  it("shifts each next poll by up to ± jitter of the interval, as the random source says", async () => {
    // random 0 → −10 %, 0.75 → +5 %, 0.5 → none: each delay counts from the previous due time
    expect(await readingTimes(() => 0, 9_001)).toEqual([0, 4_500, 9_000]);
    expect(await readingTimes(() => 0.75, 10_501)).toEqual([0, 5_250, 10_500]);
    expect(await readingTimes(() => 0.5, 10_001)).toEqual([0, 5_000, 10_000]);
  });

  it("draws a new shift for every poll, so batteries polled together drift apart", async () => {
    const draws = [0, 1 - 2 ** -20, 0.5];
    let next = 0;
    const times = await readingTimes(() => draws[next++ % draws.length] as number, 16_001);
    // 4 500 (−10 %), then ~5 500 (+10 %), then 5 000
    expect(times).toEqual([0, 4_500, 10_000, 15_000]);
  });
});

/**
 * The old-generation pacer (src/service/gc-pacer.ts) on a manual clock and a heap that grows as told: it
 * collects once the heap grew by a quarter of what was live (at least 2 MB), never within 10 s of the last
 * collection (its own or V8's) nor when the heap grows faster than 1 MB a second, takes V8's own
 * collections as the new baseline, and stops.
 */
import { describe, expect, it } from "vitest";
import { type GcPacerOptions, oldGenerationBytes, startGcPacer } from "../../src/service/gc-pacer.js";
import { ManualClock } from "../../src/testing/manual-clock.js";

const MIB = 1024 * 1024;

/**
 * A pacer on a manual clock over a heap whose garbage goes when collected (`live` stays); `at` holds when
 * each collection came, in ms since the start.
 */
function pacedHeap(liveMib: number, options: Partial<GcPacerOptions> = {}) {
  const clock = new ManualClock();
  const start = clock.now();
  const heap = { live: liveMib * MIB, garbage: 0, collections: 0, at: [] as number[] };
  const pacer = startGcPacer({
    clock,
    oldGenerationBytes: () => heap.live + heap.garbage,
    collect: () => {
      heap.garbage = 0;
      heap.collections++;
      heap.at.push(clock.now() - start);
    },
    ...options,
  });
  return { clock, heap, pacer };
}

/** The step rule alone: no wait after a collection, no growth-rate rule. */
const STEP_ONLY = { minIntervalMs: 0, maxGrowthPerS: Number.POSITIVE_INFINITY };

describe("startGcPacer", () => {
  it("collects once the heap grew by 2 MB when a quarter of what is live is less", () => {
    const { clock, heap, pacer } = pacedHeap(4, STEP_ONLY);
    heap.garbage = 1.9 * MIB;
    clock.tick(1000);
    expect(heap.collections).toBe(0);
    heap.garbage = 2 * MIB;
    clock.tick(1000);
    expect(heap.collections).toBe(1);
    expect(pacer.collections).toBe(1);
    heap.garbage = 1 * MIB;
    clock.tick(1000);
    expect(heap.collections).toBe(1); // measured from what the collection left, not from before it
    pacer.stop();
  });

  it("waits for a quarter of what is live when that is more than 2 MB", () => {
    const { clock, heap, pacer } = pacedHeap(20, STEP_ONLY);
    heap.garbage = 4.9 * MIB;
    clock.tick(1000);
    expect(heap.collections).toBe(0);
    heap.garbage = 5 * MIB;
    clock.tick(1000);
    expect(heap.collections).toBe(1);
    pacer.stop();
  });

  it("takes what V8 left after a collection of its own as the new baseline", () => {
    const { clock, heap, pacer } = pacedHeap(10, STEP_ONLY);
    heap.live = 8 * MIB; // V8 collected: less is in use than the pacer last saw
    clock.tick(1000);
    heap.garbage = 2.1 * MIB; // 10.1 MB: below 10 + 2.5, but 2.1 above the new baseline of 8
    clock.tick(1000);
    expect(heap.collections).toBe(1);
    pacer.stop();
  });

  it("never collects within 10 s of the last collection, the pacer's own or V8's", () => {
    const { clock, heap, pacer } = pacedHeap(4);
    const grow = (fromSecond: number, toSecond: number) => {
      for (let second = fromSecond; second <= toSecond; second++) {
        heap.garbage += 0.5 * MIB; // a quiet heap: the 2 MB step takes 4 s
        clock.tick(1000);
      }
    };
    grow(1, 22);
    expect(heap.at).toEqual([10_000, 20_000]);
    heap.live = 3 * MIB; // V8 collects by itself at 23 s
    heap.garbage = 0;
    clock.tick(1000);
    grow(24, 40);
    expect(heap.at).toEqual([10_000, 20_000, 33_000]);
    pacer.stop();
  });

  it("leaves a heap that grows faster than 1 MB a second to V8", () => {
    const { clock, heap, pacer } = pacedHeap(12);
    for (let second = 1; second <= 30; second++) {
      heap.garbage += 1.5 * MIB; // hundreds of batteries
      clock.tick(1000);
    }
    expect(heap.collections).toBe(0);
    heap.live = 10 * MIB; // V8 collects it by itself; then it grows slowly
    heap.garbage = 0;
    clock.tick(1000);
    for (let second = 1; second <= 10; second++) {
      heap.garbage += 0.9 * MIB;
      clock.tick(1000);
    }
    expect(heap.collections).toBe(1);
    pacer.stop();
  });

  it("looks once a second and not after stop()", () => {
    const { clock, heap, pacer } = pacedHeap(4, STEP_ONLY);
    heap.garbage = 3 * MIB;
    clock.tick(999);
    expect(heap.collections).toBe(0);
    clock.tick(1);
    expect(heap.collections).toBe(1);
    pacer.stop();
    heap.garbage = 3 * MIB;
    clock.tick(5000);
    expect(heap.collections).toBe(1);
  });

  it("reads this process's old generation: more than nothing, and more once objects outlive a scavenge", () => {
    const before = oldGenerationBytes();
    expect(before).toBeGreaterThan(0);
    // 16 MB of arrays kept alive: too large for a 1–16 MB young generation, they land in the old one
    const kept = Array.from({ length: 16 }, () => new Array(128 * 1024).fill(1.5));
    expect(oldGenerationBytes()).toBeGreaterThan(before + 8 * MIB);
    expect(kept.length).toBe(16);
  });
});

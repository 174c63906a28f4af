/**
 * Collects the old generation in smaller steps than V8 does on its own. V8 lets the old generation grow
 * by at least 8 MB past what was live after its last full collection before it collects again (2 MB only
 * under `--optimize-for-size`, which also costs compiled-code speed: twice the CPU at 256 batteries). A
 * bridge promotes a steady trickle of objects that lived through a poll (readings, publishes awaiting their
 * acknowledgement) and are garbage soon after, so its resident memory is a saw tooth whose teeth are those
 * 8 MB: 64–72 MB at 8 batteries (docs/performance.md, "Memory"). The pacer looks once a second and asks
 * for a full collection once the old generation has grown by a quarter of what was live after the last
 * collection, and at least 2 MB: teeth of 2–3 MB at 8 batteries, where that takes several seconds.
 * It leaves a busy heap to V8: never within 10 s of the last collection (its own or V8's), and not when
 * the old generation grew faster than 1 MB a second since (8 batteries: about 0.3; 256: about 15). V8
 * collects such a heap every few seconds anyway, and collecting it more often cost a quarter more CPU at
 * 256 batteries (docs/performance.md), far more than the pauses themselves.
 * It needs V8's `gc()` (node `--expose-gc`, among the flags the bridge runs with:
 * src/service/node-flags.ts); without it nothing changes.
 */
import { getHeapSpaceStatistics } from "node:v8";
import type { Clock, TimerHandle } from "../util/clock.js";

export interface GcPacerOptions {
  clock: Clock;
  /** Bytes in use outside the young generation (oldGenerationBytes below). */
  oldGenerationBytes(): number;
  /** One full collection (V8's `gc()`). */
  collect(): void;
  checkEveryMs?: number;
  minStepBytes?: number;
  /** The step as a share of what was live after the last collection. */
  stepShare?: number;
  /** No collection sooner than this after the last one, the pacer's or V8's. */
  minIntervalMs?: number;
  /** A heap growing faster than this (bytes a second since the last collection) is left to V8. */
  maxGrowthPerS?: number;
}

export interface GcPacer {
  /** Full collections asked for so far. */
  readonly collections: number;
  stop(): void;
}

const MIB = 1024 * 1024;

export function startGcPacer(options: GcPacerOptions): GcPacer {
  const { clock, oldGenerationBytes, collect } = options;
  const everyMs = options.checkEveryMs ?? 1000;
  const minStep = options.minStepBytes ?? 2 * MIB;
  const share = options.stepShare ?? 0.25;
  const minIntervalMs = options.minIntervalMs ?? 10_000;
  const maxGrowthPerS = options.maxGrowthPerS ?? 1 * MIB;
  let live = oldGenerationBytes();
  let collectedAt = clock.now();
  let collections = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const due = (grown: number, sinceMs: number) =>
    grown >= Math.max(minStep, live * share) &&
    sinceMs >= minIntervalMs &&
    grown / (sinceMs / 1000) <= maxGrowthPerS;

  const check = () => {
    const used = oldGenerationBytes();
    if (used < live) {
      // V8 collected by itself since: what it left is the new baseline
      live = used;
      collectedAt = clock.now();
    } else if (due(used - live, clock.now() - collectedAt)) {
      collect();
      collections++;
      live = oldGenerationBytes();
      collectedAt = clock.now();
    }
    if (stopped) return;
    timer = clock.setTimeout(check, everyMs);
    timer.unref?.();
  };
  timer = clock.setTimeout(check, everyMs);
  timer.unref?.();

  return {
    get collections() {
      return collections;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}

/** The spaces where objects that survived the young generation live, in bytes used. */
export function oldGenerationBytes(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics())
    if (space.space_name !== "new_space" && space.space_name !== "new_large_object_space")
      used += space.space_used_size;
  return used;
}

import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/manual-clock.js";
import { sleep } from "../../src/util/clock.js";

describe("sleep", () => {
  it("resolves after the time on the clock", async () => {
    const clock = new ManualClock();
    let done = false;
    const waiting = sleep(clock, 1000).then(() => {
      done = true;
    });
    clock.tick(999);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.tick(1);
    await waiting;
    expect(done).toBe(true);
  });

  it("rejects with the reason of whichever of several signals aborts first", async () => {
    const clock = new ManualClock();
    const stop = new AbortController();
    const wake = new AbortController();
    const waiting = sleep(clock, 60_000, [stop.signal, wake.signal]);
    wake.abort(new Error("woken"));
    await expect(waiting).rejects.toThrow("woken");
    // and does not stay subscribed to the other one
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  });

  it("leaves no listener on a long-lived signal after thousands of waits (a poll loop's lifetime)", async () => {
    const clock = new ManualClock();
    const stop = new AbortController();
    for (let i = 0; i < 5000; i++) {
      const wake = new AbortController();
      const waiting = sleep(clock, 10, [stop.signal, wake.signal]);
      if (i % 2 === 0) clock.tick(10);
      else wake.abort("woken");
      await waiting.catch(() => undefined);
    }
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  });

  it("rejects at once when a signal is already aborted", async () => {
    const stop = new AbortController();
    stop.abort(new Error("stopped"));
    await expect(sleep(new ManualClock(), 10, stop.signal)).rejects.toThrow("stopped");
  });
});

import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/index.js";
import { createCoalescer } from "../../src/util/coalesce.js";

describe("createCoalescer", () => {
  it("runs once per window however often it is scheduled", () => {
    const clock = new ManualClock();
    let runs = 0;
    const c = createCoalescer(clock, 200, () => runs++);
    for (let i = 0; i < 5; i++) c.schedule();
    expect(runs).toBe(0);
    expect(c.pending).toBe(true);
    clock.tick(199);
    expect(runs).toBe(0);
    clock.tick(1);
    expect(runs).toBe(1);
    c.schedule();
    clock.tick(200);
    expect(runs).toBe(2);
  });

  it("runs at once with a zero window", () => {
    const clock = new ManualClock();
    let runs = 0;
    const c = createCoalescer(clock, 0, () => runs++);
    c.schedule();
    c.schedule();
    expect(runs).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it("never runs a cancelled window", () => {
    const clock = new ManualClock();
    let runs = 0;
    const c = createCoalescer(clock, 200, () => runs++);
    c.schedule();
    c.cancel();
    clock.tick(1000);
    expect(runs).toBe(0);
    expect(c.pending).toBe(false);
  });
});

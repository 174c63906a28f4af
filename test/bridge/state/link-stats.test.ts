import { describe, expect, it } from "vitest";
import { LinkStats, QUALITY_WINDOW } from "../../../src/bridge/state/link-stats.js";
import type { PollOutcome } from "../../../src/bridge/types.js";

const T0 = Date.UTC(2026, 1, 22, 13, 0, 0);
const ok = (i: number, extra: Partial<PollOutcome> = {}): PollOutcome => ({
  batteryId: "1",
  time: T0 + i * 1000,
  ok: true,
  reconnected: false,
  ...extra,
});
const failed = (i: number, extra: Partial<PollOutcome> = {}): PollOutcome =>
  ok(i, {
    ok: false,
    error: { code: "DEVICE_NOT_FOUND", cause: "not_advertising", message: "not seen advertising" },
    ...extra,
  });

describe("link stats", () => {
  it("says nothing it does not know before the first poll", () => {
    expect(new LinkStats().health()).toEqual({ polls: 0, reads_ok: 0, reads_failed: 0, reconnects: 0 });
  });

  it("link quality is the share of the last 100 polls that gave a valid reading", () => {
    const stats = new LinkStats();
    // 100 failures, then 75 successes: the window holds 25 failures and 75 successes
    for (let i = 0; i < 100; i++) stats.record(failed(i));
    for (let i = 100; i < 175; i++) stats.record(ok(i));
    const health = stats.health();
    expect(health.polls).toBe(QUALITY_WINDOW);
    expect(health.quality_pct).toBe(75);
    expect(health.reads_ok).toBe(75);
    expect(health.reads_failed).toBe(100);
    expect(health.last_valid_at).toBe(new Date(T0 + 174_000).toISOString());
  });

  it("lets the oldest successes leave the window as failures come in", () => {
    const stats = new LinkStats();
    for (let i = 0; i < 100; i++) stats.record(ok(i));
    for (let i = 100; i < 140; i++) stats.record(failed(i));
    expect(stats.health()).toMatchObject({ polls: 100, quality_pct: 60, reads_ok: 100, reads_failed: 40 });
  });

  it("keeps the last error with its cause, the reconnects and the latest RSSI", () => {
    const stats = new LinkStats();
    stats.record(ok(0, { rssi: -70 }));
    stats.record(failed(1));
    stats.record(ok(2, { reconnected: true }));
    stats.record(ok(3, { rssi: -64, reconnected: true }));
    // a poll that measured no RSSI keeps the last one known
    stats.record(ok(4));
    expect(stats.health()).toEqual({
      rssi: -64,
      rssi_at: new Date(T0 + 3000).toISOString(),
      quality_pct: 80,
      polls: 5,
      reads_ok: 4,
      reads_failed: 1,
      reconnects: 2,
      last_error: {
        cause: "not_advertising",
        code: "DEVICE_NOT_FOUND",
        message: "not seen advertising",
        at: new Date(T0 + 1000).toISOString(),
      },
      last_valid_at: new Date(T0 + 4000).toISOString(),
    });
  });
});

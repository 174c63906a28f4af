/**
 * One battery's run of failures on its own (src/bridge/device/poll-health.ts): the lines a user reads in
 * the log, with their level and the context a JSON log carries, and the wait before the next poll.
 * battery-session.test.ts covers the same rules through a whole session.
 */
import { describe, expect, it } from "vitest";
import { PollHealth } from "../../../src/bridge/device/poll-health.js";
import { BmsError } from "../../../src/errors.js";
import { createMemoryLogger } from "../../../src/log/logger.js";

const NAME = "Battery 1 (memory:one)";
const silent = (n = 3) => new BmsError("TIMEOUT", `memory:one: no reply to 0x03 within ${n}000 ms`);
const adapterLost = () => new BmsError("ADAPTER_LOST", "Bluetooth adapter hci0 lost");

function health(options: { intervalMs?: number; backoffMaxMs?: number } = {}) {
  const logger = createMemoryLogger();
  const h = new PollHealth(logger, {
    intervalMs: options.intervalMs ?? 10_000,
    backoffMaxMs: options.backoffMaxMs ?? 60_000,
    name: () => NAME,
    batteryId: "1",
  });
  /** The records logged since the last take() or lines(). */
  let seen = 0;
  const take = () => {
    const taken = logger.records.slice(seen);
    seen = logger.records.length;
    return taken;
  };
  /** The same, as `level message`. */
  const lines = () => take().map((r) => `${r.level} ${r.message}`);
  return { h, logger, lines, take };
}

describe("PollHealth", () => {
  it("says 'connected' with the model once, at the first reading, and nothing at later ones", () => {
    const t = health();
    t.h.succeeded("DP04S007L4S200A");
    t.h.succeeded("DP04S007L4S200A");
    expect(t.lines()).toEqual([`info ${NAME}: connected (DP04S007L4S200A)`]);
  });

  it("says 'connected' without parentheses when the BMS gave no model (none, or an empty text)", () => {
    const none = health();
    none.h.succeeded(undefined);
    expect(none.lines()).toEqual([`info ${NAME}: connected`]);
    const empty = health();
    empty.h.succeeded("");
    expect(empty.lines()).toEqual([`info ${NAME}: connected`]);
  });

  it("warns at the first failure with its cause, the battery and the next try, as JSON log context", () => {
    const t = health();
    t.h.failed(silent());
    const [record, ...rest] = t.take();
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      level: "warn",
      message: `${NAME}: read failed (no reply: memory:one: no reply to 0x03 within 3000 ms); next try in 10 s`,
      fields: { code: "TIMEOUT", cause: "no_reply", battery: "1" },
    });
    expect(t.h.failures).toBe(1);
    expect(t.h.lastError?.code).toBe("TIMEOUT");
  });

  it("warns once per back-off step, then only at debug level with the attempt and the error", () => {
    const t = health({ backoffMaxMs: 20_000 });
    for (let i = 0; i < 4; i++) t.h.failed(silent());
    expect(t.lines()).toEqual([
      `warn ${NAME}: read failed (no reply: memory:one: no reply to 0x03 within 3000 ms); next try in 10 s`,
      `warn ${NAME}: still failing after 2 attempts (no reply: memory:one: no reply to 0x03 within 3000 ms); next try in 20 s`,
      `debug ${NAME}: attempt 3 failed: memory:one: no reply to 0x03 within 3000 ms`,
      `debug ${NAME}: attempt 4 failed: memory:one: no reply to 0x03 within 3000 ms`,
    ]);
    expect(t.h.nextDelayMs()).toBe(20_000);
  });

  it("says when the battery reads again, and starts over: the next failure warns again", () => {
    const t = health();
    t.h.succeeded("M");
    t.take();
    t.h.failed(silent());
    t.h.failed(silent());
    t.h.succeeded("M");
    expect(t.lines().at(-1)).toBe(`info ${NAME}: reading again after 2 failed attempt(s)`);
    expect(t.h.failures).toBe(0);
    expect(t.h.lastError).toBeUndefined();
    expect(t.h.nextDelayMs()).toBe(10_000);
    t.h.failed(silent());
    expect(t.lines()).toEqual([
      `warn ${NAME}: read failed (no reply: memory:one: no reply to 0x03 within 3000 ms); next try in 10 s`,
    ]);
  });

  it("never waits less than the interval, even with backoff_max below it", () => {
    const t = health({ intervalMs: 30_000, backoffMaxMs: 10_000 });
    expect(t.h.nextDelayMs()).toBe(30_000);
    t.h.failed(silent());
    t.h.failed(silent());
    expect(t.h.nextDelayMs()).toBe(30_000);
  });

  it("logs an adapter away at debug level only and keeps the interval, counting the failures", () => {
    const t = health();
    t.h.failed(silent());
    t.h.failed(silent());
    t.take();
    t.h.failed(adapterLost());
    t.h.failed(adapterLost());
    expect(t.lines()).toEqual([
      `debug ${NAME}: attempt 3 failed: Bluetooth adapter hci0 lost`,
      `debug ${NAME}: attempt 4 failed: Bluetooth adapter hci0 lost`,
    ]);
    expect(t.h.nextDelayMs()).toBe(10_000);
    expect(t.h.failures).toBe(4);
    expect(t.h.lastError?.code).toBe("ADAPTER_LOST");
    // back: the battery's own failures start the back-off over from one interval
    t.h.failed(silent());
    t.h.failed(silent());
    expect(t.h.nextDelayMs()).toBe(20_000);
    expect(t.lines().at(-1)).toMatch(/^warn .*: still failing after 6 attempts .*; next try in 20 s$/);
  });
});

/**
 * The adapter supervisor's state machine on the manual clock, with fake noble instances: lost → fail fast
 * → reopen with doubling back-off ≤ 30 s → back; wedged → reset; never back → fatal at the bound; never
 * two operations at once across a reopen.
 */
import type { Noble } from "@stoprocent/noble";
import { describe, expect, it } from "vitest";
import { BmsError, isBmsError } from "../../../src/errors.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { ManualClock } from "../../../src/testing/index.js";
import type { NobleInstance } from "../../../src/transport/ble/noble-instance.js";
import type { QueueEvent } from "../../../src/transport/ble/operation-queue.js";
import { type AdapterEvent, SupervisedAdapter } from "../../../src/transport/ble/supervisor.js";
import { HCI_UART_BAUD } from "../../../src/transport/hci.js";

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A noble instance the test loses or closes by hand. */
class FakeInstance implements NobleInstance {
  readonly noble = { id: Math.random() } as unknown as Noble;
  closed = false;
  #lost: ((reason: string) => void) | undefined;
  onLost(listener: (reason: string) => void): void {
    this.#lost = listener;
  }
  lose(reason = "its serial port /dev/ttyUSB0 is gone (unplugged?)"): void {
    this.#lost?.(reason);
  }
  close(): void {
    this.closed = true;
  }
}

/** openInstance for the supervisor: each call answers from `plan` ("ok", a BmsError, or "never"). */
function fakeOpener() {
  const opened: FakeInstance[] = [];
  const calls: number[] = [];
  let next: () => "ok" | BmsError | "never" = () => "ok";
  return {
    opened,
    calls,
    willAnswer(plan: () => "ok" | BmsError | "never") {
      next = plan;
    },
    open(clock: ManualClock) {
      return async (): Promise<NobleInstance> => {
        calls.push(clock.now());
        const answer = next();
        if (answer === "never") return new Promise<NobleInstance>(() => {});
        if (answer instanceof BmsError) throw answer;
        const instance = new FakeInstance();
        opened.push(instance);
        return instance;
      };
    },
  };
}

const missing = () =>
  new BmsError("ADAPTER_UNAVAILABLE", "Bluetooth adapter uart:/dev/ttyUSB0: serial port does not exist");

function setup(options: { giveUpAfterMs?: number; first?: () => "ok" | BmsError | "never" } = {}) {
  const { first, ...adapterOptions } = options;
  const clock = new ManualClock();
  const logger = createMemoryLogger("info");
  const opener = fakeOpener();
  if (first) opener.willAnswer(first);
  const events: AdapterEvent[] = [];
  const queueEvents: QueueEvent[] = [];
  const adapter = new SupervisedAdapter({
    hci: { driver: "uart", port: "/dev/ttyUSB0", baudRate: HCI_UART_BAUD },
    clock,
    logger,
    openInstance: opener.open(clock),
    settleGraceMs: 2000,
    onEvent: (e) => events.push(e),
    onQueueEvent: (e) => queueEvents.push(e),
    ...adapterOptions,
  });
  /** Advances the clock in small steps, letting promises run in between. */
  const advance = async (ms: number) => {
    for (let done = 0; done < ms; done += 100) {
      clock.tick(Math.min(100, ms - done));
      await flush();
    }
  };
  return { clock, logger, opener, events, queueEvents, adapter, advance };
}

describe("the supervised BLE adapter", () => {
  it("opens at once and is ready", async () => {
    const { adapter, opener } = setup();
    await flush();
    await expect(adapter.ready(1000)).resolves.toBeUndefined();
    expect(adapter.state).toBe("up");
    expect(adapter.noble).toBe(opener.opened[0]?.noble);
  });

  it("lost: tells the running operation and the links at once, fails fast, logs once, then reopens with doubling back-off ≤ 30 s", async () => {
    const { adapter, opener, logger, advance, clock, events } = setup();
    await flush();
    const first = opener.opened[0] as FakeInstance;
    const running = adapter.queue.run("connect", () => new Promise(() => {})).catch((e: unknown) => e);
    const linkEnds: BmsError[] = [];
    adapter.onInstanceEnd((error) => linkEnds.push(error));
    opener.willAnswer(missing);
    const lostAt = clock.now();
    first.lose();
    const error = (await running) as BmsError;
    expect(error.code).toBe("ADAPTER_LOST");
    expect(error.message).toContain("is gone (unplugged?)");
    expect(linkEnds.map((e) => e.code)).toEqual(["ADAPTER_LOST"]);
    expect(first.closed).toBe(true);
    await expect(adapter.ready(5000)).rejects.toMatchObject({ code: "ADAPTER_LOST" });
    await expect(adapter.queue.run("scan", async () => 1)).rejects.toMatchObject({ code: "ADAPTER_LOST" });
    expect(() => adapter.noble).toThrow(/lost/);

    await advance(120_000);
    const delays = opener.calls.slice(1).map((t, i, all) => t - (i === 0 ? lostAt : (all[i - 1] as number)));
    // the first try, due after 1 s, waits for the interrupted operation's grace (2 s); then 1, 2, 4 … 30 s
    expect(delays.slice(0, 8)).toEqual([2000, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
    const warnings = logger.records.filter((r) => r.level === "warn").map((r) => r.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/lost: its serial port \/dev\/ttyUSB0 is gone/);

    opener.willAnswer(() => "ok");
    await advance(30_000);
    await expect(adapter.ready(1000)).resolves.toBeUndefined();
    expect(adapter.noble).toBe(opener.opened[1]?.noble);
    expect(adapter.health).toMatchObject({ state: "up", losses: 1, resets: 0, recoveries: 1 });
    expect(events.map((e) => e.type)).toEqual(["up", "lost", "up"]);
    expect(logger.records.some((r) => r.level === "info" && /is back after \d+ s/.test(r.message))).toBe(
      true,
    );
    await expect(adapter.queue.run("scan", async () => "scanned")).resolves.toBe("scanned");
  });

  it("wedged: after 3 operations in a row time out it is reset (a new instance), and works again", async () => {
    const { adapter, opener, advance, events, logger } = setup();
    await flush();
    const hang = () =>
      adapter.queue
        .run("scan for A5:C2:37:00:00:01", () => new Promise(() => {}), 1000)
        .catch((e: unknown) => e);
    // a timeout with a success in between is a battery's trouble, not the controller's
    const one = hang();
    await advance(1000);
    expect(isBmsError(await one, "TIMEOUT")).toBe(true);
    await advance(2000);
    await adapter.queue.run("disconnect", async () => undefined);
    expect(adapter.health.resets).toBe(0);
    for (let i = 0; i < 3; i++) {
      const failed = hang();
      await advance(3000);
      expect((await failed) as BmsError).toBeInstanceOf(BmsError);
    }
    expect(events.map((e) => e.type)).toContain("wedged");
    await advance(5000);
    expect(adapter.state).toBe("up");
    expect(opener.opened).toHaveLength(2);
    expect(opener.opened[0]?.closed).toBe(true);
    expect(adapter.health).toMatchObject({ resets: 1, recoveries: 1, losses: 0 });
    expect(logger.records.some((r) => /3 operations in a row timed out .*resetting it/.test(r.message))).toBe(
      true,
    );
  });

  it("never back: fatal with ADAPTER_LOST at the bound, not before; nothing runs after", async () => {
    const { adapter, opener, advance, events } = setup({ giveUpAfterMs: 120_000 });
    await flush();
    opener.willAnswer(missing);
    (opener.opened[0] as FakeInstance).lose();
    await advance(119_000);
    expect(events.map((e) => e.type)).toEqual(["up", "lost"]);
    await advance(2000);
    const fatal = events.find((e) => e.type === "fatal");
    expect(fatal?.type === "fatal" && fatal.error.code).toBe("ADAPTER_LOST");
    expect(fatal?.type === "fatal" && fatal.error.message).toMatch(/has not been usable for 2 min/);
    expect(adapter.state).toBe("failed");
    const calls = opener.calls.length;
    await advance(60_000);
    expect(opener.calls.length).toBe(calls);
    await expect(adapter.queue.run("scan", async () => 1)).rejects.toMatchObject({ code: "ADAPTER_LOST" });
  });

  it("missing at start: waits, retries, and comes up when it appears", async () => {
    const { adapter, opener, advance, logger, events } = setup({ giveUpAfterMs: 60_000, first: missing });
    await flush();
    await expect(adapter.ready(100)).rejects.toMatchObject({ code: "ADAPTER_UNAVAILABLE" });
    await advance(20_000);
    opener.willAnswer(() => "ok");
    await advance(20_000);
    expect(adapter.state).toBe("up");
    expect(logger.records.filter((r) => r.level === "warn").map((r) => r.message)).toEqual([
      expect.stringMatching(/serial port does not exist; retrying until it appears \(gives up after 1 min\)/),
    ]);
    expect(events.map((e) => e.type)).toEqual(["up"]);
  });

  it("missing at start and never there: the bound counts from the start", async () => {
    const { adapter, advance, events } = setup({ giveUpAfterMs: 60_000, first: missing });
    await advance(59_000);
    expect(adapter.state).not.toBe("failed");
    await advance(2000);
    expect(adapter.state).toBe("failed");
    expect(events.map((e) => e.type)).toEqual(["fatal"]);
  });

  it("permission denied cannot heal by waiting: fatal at once", async () => {
    const refused = () =>
      new BmsError("ADAPTER_UNAVAILABLE", "Bluetooth adapter hci0: permission denied", {
        state: "unauthorized",
      });
    const { adapter, events } = setup({ first: refused });
    await flush();
    expect(adapter.state).toBe("failed");
    const fatal = events[0];
    expect(fatal?.type === "fatal" && fatal.error.message).toMatch(/permission denied/);
  });

  it("an open attempt that never answers does not hang the adapter: it is abandoned and retried", async () => {
    const { adapter, opener, advance } = setup({ first: () => "never" });
    await advance(6500);
    expect(adapter.state).toBe("down");
    opener.willAnswer(() => "ok");
    await advance(20_000);
    expect(adapter.state).toBe("up");
  });
});

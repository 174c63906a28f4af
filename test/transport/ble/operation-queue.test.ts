import { describe, expect, it } from "vitest";
import { BmsError, isBmsError } from "../../../src/errors.js";
import { ManualClock } from "../../../src/testing/index.js";
import { OperationQueue, type QueueEvent } from "../../../src/transport/ble/operation-queue.js";

/** A promise we settle by hand, standing in for a noble operation in flight. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("the adapter operation queue", () => {
  it("runs operations one at a time, in the order they were queued", async () => {
    const events: QueueEvent[] = [];
    const queue = new OperationQueue({ clock: new ManualClock(), onEvent: (e) => events.push(e) });
    const scan = deferred<string>();
    const connect = deferred<string>();
    const results: string[] = [];
    const done = [
      queue.run("scan", () => scan.promise).then((r) => results.push(r)),
      queue.run("connect", () => connect.promise).then((r) => results.push(r)),
      queue.run("write", async () => "written").then((r) => results.push(r)),
    ];
    await flush();
    expect(events.map((e) => `${e.type} ${e.label}`)).toEqual(["start scan"]);
    connect.resolve("connected"); // finishing early must not let it jump the queue
    await flush();
    expect(results).toEqual([]);
    scan.resolve("scanned");
    await Promise.all(done);
    expect(results).toEqual(["scanned", "connected", "written"]);
    expect(events.map((e) => `${e.type} ${e.label}`)).toEqual([
      "start scan",
      "end scan",
      "start connect",
      "end connect",
      "start write",
      "end write",
    ]);
    expect(Math.max(...events.map((e) => e.running))).toBe(1);
  });

  it("passes an operation's failure to its caller and carries on with the next", async () => {
    const queue = new OperationQueue({ clock: new ManualClock() });
    const failing = queue.run("connect", async () => {
      throw new Error("le connection failed");
    });
    const next = queue.run("scan", async () => "ok");
    await expect(failing).rejects.toThrow("le connection failed");
    await expect(next).resolves.toBe("ok");
  });

  it("times an operation out, aborts it, and holds the next one until the late one settles", async () => {
    const clock = new ManualClock();
    const queue = new OperationQueue({ clock, settleGraceMs: 2000 });
    const stuck = deferred();
    let aborted: unknown;
    const first = queue.run(
      "connect",
      (signal) => {
        signal.addEventListener("abort", () => (aborted = signal.reason));
        return stuck.promise;
      },
      5000,
    );
    let secondStarted = false;
    const second = queue.run("scan", async () => {
      secondStarted = true;
    });
    const outcome = first.catch((error: unknown) => error);
    clock.tick(5000);
    const error = await outcome;
    expect(isBmsError(error, "TIMEOUT")).toBe(true);
    expect(aborted).toBe(error);
    await flush();
    expect(secondStarted).toBe(false); // the stuck HCI command has not answered yet
    stuck.resolve();
    await second;
    expect(secondStarted).toBe(true);
  });

  it("moves on after the grace period when a timed-out operation never settles", async () => {
    const clock = new ManualClock();
    const queue = new OperationQueue({ clock, settleGraceMs: 2000 });
    const never = queue.run("discover", () => new Promise<void>(() => {}), 1000).catch((e: unknown) => e);
    const next = queue.run("scan", async () => "ran");
    clock.tick(1000);
    expect(isBmsError(await never, "TIMEOUT")).toBe(true);
    clock.tick(2000);
    await expect(next).resolves.toBe("ran");
  });

  it("rejects waiting and later operations with CANCELED once closed", async () => {
    const queue = new OperationQueue({ clock: new ManualClock() });
    const running = deferred();
    const first = queue.run("scan", () => running.promise);
    const waiting = queue.run("connect", async () => "never");
    queue.close();
    await expect(waiting).rejects.toMatchObject({ code: "CANCELED" });
    await expect(queue.run("write", async () => "never")).rejects.toMatchObject({ code: "CANCELED" });
    running.resolve();
    await first;
    await flush();
    expect(queue.size).toBe(0);
  });
});

describe("the adapter operation queue while the adapter is away", () => {
  const lost = () => new BmsError("ADAPTER_LOST", "Bluetooth adapter uart:/x lost: unplugged");

  it("held: the running operation's caller is told at once, waiting and new ones fail fast", async () => {
    const clock = new ManualClock();
    const events: QueueEvent[] = [];
    const queue = new OperationQueue({ clock, settleGraceMs: 2000, onEvent: (e) => events.push(e) });
    const stuck = deferred();
    const running = queue.run("connect", () => stuck.promise).catch((e: unknown) => e);
    const waiting = queue.run("scan", async () => "never").catch((e: unknown) => e);
    queue.hold(lost());
    expect(isBmsError(await running, "ADAPTER_LOST")).toBe(true);
    expect(isBmsError(await waiting, "ADAPTER_LOST")).toBe(true);
    await expect(queue.run("write", async () => "never")).rejects.toMatchObject({ code: "ADAPTER_LOST" });
    // only the supervisor's own work runs while held, and not before the interrupted one settled
    let reopened = false;
    const reopen = queue.run("reopen", async () => (reopened = true), 5000, { whileHeld: true });
    await flush();
    expect(reopened).toBe(false);
    stuck.resolve();
    await reopen;
    await flush();
    expect(reopened).toBe(true);
    expect(Math.max(...events.map((e) => e.running))).toBe(1);
    expect(events.map((e) => `${e.type} ${e.label}`)).toEqual([
      "start connect",
      "end connect",
      "start reopen",
      "end reopen",
    ]);
    queue.release();
    await expect(queue.run("scan", async () => "ran")).resolves.toBe("ran");
  });

  it("reports each outcome once: a timeout when it happens, not again when the late one settles", async () => {
    const clock = new ManualClock();
    const outcomes: string[] = [];
    const queue = new OperationQueue({
      clock,
      settleGraceMs: 2000,
      onOutcome: (o, label) => outcomes.push(`${label}:${o}`),
    });
    const late = deferred();
    const first = queue.run("connect", () => late.promise, 1000).catch(() => undefined);
    clock.tick(1000);
    await first;
    late.resolve();
    await queue.run("scan", async () => "ok");
    await queue
      .run("write", async () => {
        throw new BmsError("TIMEOUT", "the controller did not confirm the start of a scan");
      })
      .catch(() => undefined);
    await queue
      .run("discover", async () => {
        throw new BmsError("GATT_MISSING", "no FF00");
      })
      .catch(() => undefined);
    expect(outcomes).toEqual(["connect:timeout", "scan:ok", "write:timeout", "discover:failed"]);
  });
});

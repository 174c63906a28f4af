/**
 * When the bank is computed and announced (src/bridge/state/bank-tracker.ts): the `bank` events every
 * feature reads, on the manual clock, with the other bridges' batteries fed into the site view as the
 * site feature would (src/bridge/site/site-view.ts).
 */
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../src/bridge/event-bus.js";
import { formatValues } from "../../../src/bridge/publish/format.js";
import { batteryStatus } from "../../../src/bridge/publish/status-json.js";
import {
  BankTracker,
  type BankTrackerOptions,
  type BankUpdate,
} from "../../../src/bridge/state/bank-tracker.js";
import { valuesFromReading } from "../../../src/bridge/state/battery-values.js";
import { createBridgeState } from "../../../src/bridge/state/bridge-state.js";
import type { BankMode } from "../../../src/config/schema.js";
import { ManualClock } from "../../../src/testing/index.js";
import { makeReading, type ReadingSpec } from "../../support/readings.js";

function rig(batteryIds: string[], windowMs: number, options: Partial<BankTrackerOptions> = {}) {
  const bus = new EventBus();
  const clock = new ManualClock();
  const state = createBridgeState({ bus, clock }, { batteryIds, bankWindowMs: windowMs });
  // the tracker under test, as createBridgeState makes it but with the options given here
  const bank = new BankTracker(
    { bus, clock, store: state.store, site: state.site },
    { windowMs, ...options },
  );
  const updates: BankUpdate[] = [];
  bus.on("bank", (update) => updates.push(update));
  const read = (spec: Omit<ReadingSpec, "time">) =>
    bus.emit("reading", makeReading({ ...spec, time: clock.now() }));
  /** Another bridge's battery, online with its status, as the site feature feeds the view. */
  const remote = (spec: Omit<ReadingSpec, "time"> & { batteryId: string }) => {
    const reading = makeReading({ ...spec, time: clock.now() });
    const values = valuesFromReading(reading);
    const status = { ...batteryStatus(reading, values, formatValues(values)), bridge: "other" };
    state.site.availability(spec.batteryId, "online");
    state.site.status(spec.batteryId, Buffer.from(JSON.stringify(status)), clock.now());
  };
  const counted = () => updates.map((u) => u.bank?.batteryIds);
  return { bus, clock, state, bank, updates, read, remote, counted };
}

describe("the bank tracker", () => {
  it("announces the bank of one battery with each reading, and once per reading however often attached", () => {
    const { bank, read, counted } = rig(["a"], 200);
    bank.attach();
    bank.attach();
    read({ batteryId: "a" });
    expect(counted()).toEqual([["a"]]);
  });

  it("collects a window's readings of several batteries into one bank, timed from the first", () => {
    const { bank, clock, read, counted } = rig(["a", "b"], 200);
    bank.attach();
    read({ batteryId: "a" });
    clock.tick(150);
    read({ batteryId: "b" });
    expect(bank.pending).toBe(true);
    clock.tick(50);
    expect(counted()).toEqual([["a", "b"]]);
    expect(bank.pending).toBe(false);
  });

  it("waits the site window (default 200 ms) when another bridge's battery counts", () => {
    const { bank, clock, read, remote, counted } = rig(["a"], 0);
    remote({ batteryId: "r" });
    bank.attach();
    read({ batteryId: "a" });
    clock.tick(199);
    expect(counted()).toEqual([]);
    clock.tick(1);
    expect(counted()).toEqual([["a", "r"]]);
  });

  it("uses the site window given, and opens it once a remote battery appears after the first readings", () => {
    const { bus, bank, clock, read, remote, counted } = rig(["a"], 0, { siteWindowMs: 50 });
    bank.attach();
    read({ batteryId: "a" });
    expect(counted()).toEqual([["a"]]);
    remote({ batteryId: "r" });
    bus.emit("site", { kind: "battery", batteryId: "r" });
    expect(counted()).toEqual([["a"]]);
    clock.tick(50);
    expect(counted()).toEqual([["a"], ["a", "r"]]);
  });

  it("recomputes at once when a battery goes offline here or on the site, and on an election with several", () => {
    const { bus, bank, read, remote, counted } = rig(["a"], 0);
    bank.attach();
    read({ batteryId: "a" });
    bus.emit("site", { kind: "role", bankPublisher: true });
    // one battery on the site: its reading is the bank, an election alone changes nothing
    expect(counted()).toEqual([["a"]]);
    bus.emit("site", { kind: "offline", batteryId: "gone" });
    expect(counted()).toEqual([["a"], ["a"]]);
    remote({ batteryId: "r" });
    bus.emit("site", { kind: "role", bankPublisher: true });
    expect(counted()).toEqual([["a"], ["a"], ["a", "r"]]);
    bus.emit("availability", { batteryId: "a", state: "offline", reason: "stale", time: 0 });
    expect(counted()).toEqual([["a"], ["a"], ["a", "r"], ["r"]]);
  });

  it("flushes an open window at once, and computes nothing when none is open", () => {
    const { bank, clock, read, counted } = rig(["a", "b"], 200);
    bank.attach();
    bank.flush();
    expect(counted()).toEqual([]);
    read({ batteryId: "a" });
    bank.flush();
    expect(counted()).toEqual([["a"]]);
    clock.tick(200);
    expect(counted()).toEqual([["a"]]);
  });

  it("counts a battery it reads itself from its own reading, never from the broker", () => {
    // no battery configured: "x" is first heard of locally, and another bridge's status claims it too
    const { bank, clock, read, remote, updates } = rig([], 0);
    remote({ batteryId: "x", currentA: 30 });
    bank.attach();
    read({ batteryId: "x", currentA: -5 });
    clock.tick(200);
    expect(updates.at(-1)?.bank).toMatchObject({ batteryIds: ["x"], values: { currentA: -5 } });
  });

  it("gives no time estimate below the idle current given", () => {
    const { bank, read, updates } = rig(["a"], 0, { idleCurrentA: 1 });
    bank.attach();
    read({ batteryId: "a", currentA: 0.7 });
    expect(updates.at(-1)?.bank).toMatchObject({ timeToFullH: null, timeToEmptyH: null });
  });

  it("announces no bank while another bridge publishes it, not even when a battery goes offline", () => {
    const { bus, state, bank, clock, read, counted } = rig(["a", "b"], 200);
    // bridge "a" (bank mode auto) sorts before this one ("local"): it is elected
    state.site.bridgeState("a", "online");
    bank.attach();
    read({ batteryId: "a" });
    expect(bank.pending).toBe(false);
    bus.emit("availability", { batteryId: "a", state: "offline", reason: "stale", time: 0 });
    clock.tick(200);
    expect(counted()).toEqual([]);
  });

  it("says nothing after detach, and drops an open window", () => {
    const { bank, clock, read, counted } = rig(["a", "b"], 200);
    bank.attach();
    read({ batteryId: "a" });
    bank.detach();
    clock.tick(200);
    read({ batteryId: "b" });
    expect(counted()).toEqual([]);
  });
});

describe("the bridge state's defaults", () => {
  const elected = (bank?: BankMode) => {
    const bus = new EventBus();
    const state = createBridgeState(
      { bus, clock: new ManualClock() },
      { batteryIds: ["a"], bankWindowMs: 0, ...(bank && { bank }) },
    );
    // another bridge, "b", is online with the default bank mode
    state.site.bridgeState("b", "online");
    return state.bank.publisher;
  };

  it("elects a bridge without an id as 'local' in bank mode auto, and honours the mode given", () => {
    // "b" sorts before "local": the other bridge publishes the bank
    expect(elected()).toBe(false);
    expect(elected("always")).toBe(true);
  });
});

/**
 * The supervised adapter (src/transport/ble/supervisor.ts) with real noble and bleno over the lab's field
 * faults: the central's adapter unplugged and replugged at the same path, and frozen until a reset. One
 * adapter operation at a time all along, across every reopen (the queue is instrumented in this process).
 * The same faults through the real processes, the emulator's side and the give-up bound:
 * test/e2e/adapter-faults.e2e.ble.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlenoPeripheral } from "../../../src/emulator/gatt/bleno.js";
import type { BmsError } from "../../../src/errors.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { type BleLinkOpener, createBleLinkOpener } from "../../../src/transport/ble/opener.js";
import type { QueueEvent } from "../../../src/transport/ble/operation-queue.js";
import type { AdapterEvent } from "../../../src/transport/ble/supervisor.js";
import { systemClock } from "../../../src/util/clock.js";
import { peripheralOn, readRegister, uart } from "../../support/ble-helpers.js";
import { type FakeGattBattery, fakeGattBattery } from "../../support/fake-gatt-battery.js";
import { labMissing, until, useFaultLab } from "../../support/vble.js";

const MAC = "A5:C2:37:3C:76:D9";

describe.skipIf(labMissing())("the supervised BLE adapter over the lab's field faults", () => {
  const lab = useFaultLab(2, "adapter faults");
  const queueEvents: QueueEvent[] = [];
  const events: AdapterEvent[] = [];
  const logger = createMemoryLogger("debug");
  let opener: BleLinkOpener;
  let peripheral: BlenoPeripheral;
  let battery: FakeGattBattery;

  /** Opens a link and reads 0x03 once; the error when it cannot. */
  async function readOnce(): Promise<BmsError | undefined> {
    try {
      const link = await opener.open(peripheral.controllerAddress, { timeoutMs: 8000 });
      try {
        const { frame } = await readRegister(link, 0x03);
        expect(frame.register).toBe(0x03);
      } finally {
        await link.close();
      }
      return undefined;
    } catch (error) {
      return error as BmsError;
    }
  }

  /** Keeps trying to read until one read works (the adapter heals in the background meanwhile). */
  async function readsAgain(what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: BmsError | undefined;
    for (;;) {
      last = await readOnce();
      if (!last) return;
      if (Date.now() > deadline) throw new Error(`${what}: still failing: ${last.message}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  beforeAll(async () => {
    const [centralPty, batteryPty] = lab().ptys as [string, string];
    battery = fakeGattBattery("DP04S007L4S200A", MAC);
    peripheral = await peripheralOn(batteryPty, battery);
    opener = createBleLinkOpener({
      hci: uart(centralPty),
      clock: systemClock,
      logger,
      settleGraceMs: 500,
      onEvent: (e) => events.push(e),
      onQueueEvent: (e) => queueEvents.push(e),
    });
    await opener.adapter();
  });

  afterAll(async () => {
    await opener?.close();
    await peripheral?.stop();
  });

  it("unplugged: the open link closes with ADAPTER_LOST, opens fail fast; replugged: reads again by itself", async () => {
    expect(await readOnce()).toBeUndefined();
    const link = await opener.open(peripheral.controllerAddress, { timeoutMs: 8000 });
    const closedWith = new Promise<BmsError | undefined>((resolve) => link.onClose(resolve));
    await lab().unplug(0);
    expect((await closedWith)?.code).toBe("ADAPTER_LOST");
    await until("the adapter to be down", () => opener.health.state !== "up");
    const whileAway = await readOnce();
    expect(whileAway?.code).toMatch(/^ADAPTER_(LOST|UNAVAILABLE)$/);
    expect(whileAway?.message).toMatch(/lost: its serial port .* is gone \(unplugged\?\)/);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await lab().replug(0);
    await readsAgain("after the replug");
    expect(opener.health).toMatchObject({ state: "up", losses: 1 });
    expect(opener.health.recoveries).toBeGreaterThanOrEqual(1);
    expect(logger.records.filter((r) => /lost: its serial port/.test(r.message))).toHaveLength(1);
  }, 90_000);

  it("frozen (until a reset): operations time out, the controller is reset, and it reads again", async () => {
    const resetsBefore = opener.health.resets;
    lab().freeze(0, { untilReset: true });
    await readsAgain("after the freeze", 90_000);
    expect(lab().state(0).frozen).toBe(false);
    expect(opener.health.resets).toBe(resetsBefore + 1);
    expect(events.map((e) => e.type)).toContain("wedged");
    expect(logger.records.some((r) => /operations in a row timed out .*resetting it/.test(r.message))).toBe(
      true,
    );
  }, 120_000);

  it("never two adapter operations at once, across every reopen", () => {
    const labels = new Set(queueEvents.map((e) => e.label.split(" ")[0]));
    expect(labels).toContain("reopen");
    expect(labels).toContain("connect");
    expect(Math.max(...queueEvents.map((e) => e.running))).toBe(1);
  });
});

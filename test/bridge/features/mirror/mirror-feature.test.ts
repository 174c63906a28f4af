/**
 * The mirror feature on a real poller reading an emulated battery (in-process link); only the BLE
 * peripheral is a fake, so a "central" here is the GattPort the feature hands bleno.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Poller } from "../../../../src/bridge/device/poller.js";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import {
  createMirrorFeature,
  type StartPeripheral,
} from "../../../../src/bridge/features/mirror/mirror-feature.js";
import { createBridgeState } from "../../../../src/bridge/state/bridge-state.js";
import type { BatteryReading } from "../../../../src/bridge/types.js";
import { loadConfig } from "../../../../src/config/load.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FrameAssembler } from "../../../../src/protocol/assembler.js";
import { encodeReadRequest, encodeWriteRequest } from "../../../../src/protocol/frame.js";
import { decodeBasicInfo } from "../../../../src/protocol/registers/basic-info.js";
import type { ResponseFrame } from "../../../../src/protocol/types.js";
import { createEmulatedBattery, linkToBattery } from "../../../../src/testing/index.js";
import type { GattBattery, GattPort } from "../../../../src/transport/ble/peripheral.js";
import { createBatteryLinkOpener } from "../../../../src/transport/open-link.js";
import { systemClock } from "../../../../src/util/clock.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** Stands in for bleno: records what it was asked to advertise and whether it is advertising. */
function fakePeripherals() {
  const started: Array<{ hci: string; battery: GattBattery; advertising: boolean }> = [];
  const start: StartPeripheral = async ({ hci, battery }) => {
    const entry = { hci: hci.driver === "uart" ? hci.port : "native", battery, advertising: false };
    entry.advertising = battery.isOnline?.() !== false;
    battery.onOnlineChange?.((online) => {
      entry.advertising = online;
    });
    started.push(entry);
    return { controllerAddress: "00:AA:01:02:00:42", stop: async () => undefined };
  };
  return { started, start };
}

async function rig(options: { allowControl?: boolean; mirrors?: string[]; batteries?: number } = {}) {
  const count = options.batteries ?? 1;
  const batteries = Array.from({ length: count }, () => createEmulatedBattery({ speed: 0 }));
  const config = loadConfig({
    file: {
      path: "test.json",
      text: JSON.stringify({
        batteries: batteries.map((_, i) => ({ address: `memory:bat${i + 1}`, id: String(i + 1) })),
        bridge: { poll_interval: 0.5, jitter: 0, request_timeout: 0.5 },
      }),
    },
    randomHex: () => "00",
  });
  const logger = createMemoryLogger("info");
  const bus = new EventBus();
  const state = createBridgeState(
    { bus, clock: systemClock },
    { batteryIds: config.batteries.map((b) => b.id), bankWindowMs: 0 },
  );
  const readings: BatteryReading[] = [];
  bus.on("reading", (r) => readings.push(r));
  const links = createBatteryLinkOpener({
    clock: systemClock,
    logger,
    memory: new Map(batteries.map((battery, i) => [`bat${i + 1}`, () => linkToBattery(battery)])),
  });
  const poller = new Poller({ config, clock: systemClock, logger, bus, links });
  const peripherals = fakePeripherals();
  const feature = createMirrorFeature(
    { logger, clock: systemClock, bus, state, device: poller },
    {
      batteries: config.batteries,
      controllers: options.mirrors ?? ["uart:/lab/hci-2"],
      offlineAfterPolls: config.bridge.offlineAfterPolls,
      allowControl: options.allowControl ?? false,
      startPeripheral: peripherals.start,
    },
  );
  await feature.start();
  poller.start();
  stops.push(async () => {
    await feature.stop();
    await poller.stop();
    await links.close();
  });
  return { batteries, logger, readings, poller, peripherals };
}

/** A phone app on the port: sends requests, collects whole answers. */
function phone(port: GattPort) {
  const assembler = new FrameAssembler();
  const answers: ResponseFrame[] = [];
  let disconnected = false;
  port.onSend((chunk) => {
    for (const item of assembler.push(chunk))
      if (item.kind === "response" || item.kind === "error_reply" || item.kind === "ack") answers.push(item);
  });
  port.onDisconnectRequest(() => {
    disconnected = true;
  });
  const ask = async (bytes: Uint8Array) => {
    const before = answers.length;
    port.receive(bytes);
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(before), { timeout: 5000 });
    return answers[before] as ResponseFrame;
  };
  return { ask, answers, disconnected: () => disconnected };
}

describe("the mirror feature", () => {
  it("advertises once the battery is online, with its MAC's fingerprint, and answers from its readings", async () => {
    const r = await rig();
    const [mirror] = r.peripherals.started;
    expect(mirror?.battery.name).toBe("DP04S007L4S200A");
    expect(mirror?.battery.mac).toBeUndefined(); // a memory: battery has no MAC; a BLE one gives its own
    await vi.waitFor(() => expect(r.readings.length).toBeGreaterThan(0));
    await vi.waitFor(() => expect(mirror?.advertising).toBe(true));
    const app = phone((mirror as { battery: GattBattery }).battery.connect("11:22:33:44:55:66"));
    const reply = await app.ask(encodeReadRequest(0x03));
    const basic = decodeBasicInfo(reply.data);
    expect(basic.ok && basic.value.voltageV).toBe(r.readings.at(-1)?.basic.voltageV);
    const polledBefore = r.batteries[0]?.requests.filter((q) => q.register === 0x03).length ?? 0;
    await app.ask(encodeReadRequest(0x03));
    const polledAfter = r.batteries[0]?.requests.filter((q) => q.register === 0x03).length ?? 0;
    expect(polledAfter - polledBefore).toBeLessThanOrEqual(1); // at most a poll, never the phone's own
  });

  it("forwards 0xAA to the battery between polls, once for repeated asks", async () => {
    const r = await rig();
    await vi.waitFor(() => expect(r.peripherals.started[0]?.advertising).toBe(true));
    const app = phone((r.peripherals.started[0] as { battery: GattBattery }).battery.connect("phone"));
    const first = await app.ask(encodeReadRequest(0xaa));
    const second = await app.ask(encodeReadRequest(0xaa));
    expect(first.kind).toBe("response");
    expect(second.bytes).toEqual(first.bytes);
    expect(r.batteries[0]?.requests.filter((q) => q.register === 0xaa)).toHaveLength(1);
  });

  it("refuses a MOSFET write without --allow-control: nothing reaches the battery", async () => {
    const r = await rig();
    await vi.waitFor(() => expect(r.peripherals.started[0]?.advertising).toBe(true));
    const app = phone((r.peripherals.started[0] as { battery: GattBattery }).battery.connect("phone"));
    const reply = await app.ask(encodeWriteRequest(0xe1, Uint8Array.of(0x00, 0x02)));
    expect(reply).toMatchObject({ kind: "error_reply", status: 0x81 });
    expect(r.batteries[0]?.requests.filter((q) => q.op === "write")).toEqual([]);
    expect(r.batteries[0]?.model.snapshot().fetRaw).toBe(0b11);
  });

  it("with --allow-control, writes 0xE1 through the poller and publishes the read-back", async () => {
    const r = await rig({ allowControl: true });
    await vi.waitFor(() => expect(r.peripherals.started[0]?.advertising).toBe(true));
    const app = phone(
      (r.peripherals.started[0] as { battery: GattBattery }).battery.connect("AA:BB:CC:DD:EE:FF"),
    );
    const reply = await app.ask(encodeWriteRequest(0xe1, Uint8Array.of(0x00, 0x02)));
    expect(reply.kind).toBe("ack");
    await vi.waitFor(() => expect(r.readings.at(-1)?.basic.dischargeFetOn).toBe(false));
    const line = r.logger.records.map((rec) => rec.message).find((m) => m.includes("acknowledged"));
    expect(line).toContain("central AA:BB:CC:DD:EE:FF write 0xE1 00 02 acknowledged");
    expect(line).toContain("(confirmed)");
  });

  it("stops advertising and drops its central while the battery is offline, and comes back with it", async () => {
    const r = await rig();
    const mirror = r.peripherals.started[0] as { battery: GattBattery; advertising: boolean };
    await vi.waitFor(() => expect(mirror.advertising).toBe(true));
    const app = phone(mirror.battery.connect("phone"));
    r.batteries[0]?.setOnline(false);
    // offline after offline_after_polls (default) intervals of 0.5 s
    await vi.waitFor(() => expect(mirror.advertising).toBe(false), { timeout: 15_000 });
    expect(app.disconnected()).toBe(true);
    expect(() => mirror.battery.connect("phone")).toThrow(/offline/);
    r.batteries[0]?.setOnline(true);
    await vi.waitFor(() => expect(mirror.advertising).toBe(true), { timeout: 15_000 });
  }, 40_000);

  it("mirrors the first batteries when there are fewer controllers, and says so once", async () => {
    const r = await rig({ batteries: 3, mirrors: ["uart:/lab/hci-2", "uart:/lab/hci-3"] });
    expect(r.peripherals.started.map((p) => p.hci)).toEqual(["/lab/hci-2", "/lab/hci-3"]);
    const lines = r.logger.records.filter((rec) => rec.message.includes("not mirrored"));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.message).toContain(
      "2 mirror controller(s) for 3 batteries: mirroring batteries 1, 2; not mirrored: 3",
    );
  });

  it("cannot starve polling: a phone app that keeps the queue busy still lets every poll through", async () => {
    const r = await rig();
    let hogging = true;
    const hog = (async () => {
      // the busiest a mirror can be: its next forwarded request queued the moment the last one ends
      while (hogging)
        await r.poller.runExclusive("1", () => new Promise((resolve) => setTimeout(resolve, 20)));
    })();
    const before = r.readings.length;
    await vi.waitFor(() => expect(r.readings.length).toBeGreaterThanOrEqual(before + 3), { timeout: 15_000 });
    hogging = false;
    await hog;
  }, 30_000);
});

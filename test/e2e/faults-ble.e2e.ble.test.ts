/**
 * The BLE subset of the fault matrix, through the virtual BLE lab (real noble central, real bleno
 * peripherals serving emulated batteries): the bridge (startBridge, in this process so the adapter's
 * operation queue can be instrumented) reads two batteries on one adapter in rotation. One drops the link
 * mid-frame now and then and sends 1-byte notifications; the other is silent for a window several poll
 * intervals long. The bridge must reconnect by itself, take values only from intact replies, report the
 * silent one offline and back online, and never run two operations on the adapter at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBridge } from "../../src/bridge/bridge.js";
import { startBridge } from "../../src/bridge/bridge.js";
import type { AvailabilityChange, BatteryReading } from "../../src/bridge/types.js";
import { loadConfig } from "../../src/config/load.js";
import { createEmulatedBattery, type EmulatedBattery } from "../../src/emulator/battery.js";
import { parseFaultSpec } from "../../src/emulator/behaviors/parse-fault.js";
import { type BlenoPeripheral, gattBatteryOf, startBlenoPeripheral } from "../../src/emulator/gatt/bleno.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { FakeMqtt } from "../../src/testing/fake-mqtt.js";
import { createBleLinkOpener } from "../../src/transport/ble/opener.js";
import type { QueueEvent } from "../../src/transport/ble/operation-queue.js";
import { parseHci } from "../../src/transport/hci.js";
import { systemClock } from "../../src/util/clock.js";
import { uart } from "../support/ble-helpers.js";
import { labMissing, useLab } from "../support/vble.js";
import { type IntactReading, recordingResponder } from "./support/recording-battery.js";

function fault(text: string) {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.spec;
}

const CASES = [
  // 60× speed: values move between polls, so a stitched or stale value would not match an intact reply
  { name: "flaky", faults: ["disconnect:0.15", "split:1"], speed: 60 },
  // real time, so the window is 6 real seconds (12 polls)
  { name: "silent", faults: ["drop:1,from=5,to=11"], speed: 1 },
];

describe.skipIf(labMissing())("the bridge over BLE with faulty batteries", () => {
  const labPtys = useLab(CASES.length + 1, "faults-ble e2e");
  const batteries: EmulatedBattery[] = [];
  const intact: Array<{ basics: IntactReading[]; cells: number[][] }> = [];
  const connections: number[] = CASES.map(() => 0);
  const peripherals: BlenoPeripheral[] = [];
  const events: QueueEvent[] = [];
  const readings: BatteryReading[] = [];
  const availability: AvailabilityChange[] = [];
  let bridge: RunningBridge;
  let configuredIds: string[] = [];

  beforeAll(async () => {
    const [centralPty, ...batteryPtys] = labPtys();
    for (const [i, c] of CASES.entries()) {
      const recording = recordingResponder();
      intact.push(recording);
      const battery = createEmulatedBattery({
        address: `A5:C2:37:E3:00:0${i + 1}`,
        speed: c.speed,
        faults: c.faults.map(fault),
        responder: recording.responder,
      });
      batteries.push(battery);
      const gatt = gattBatteryOf(battery);
      const counted = {
        ...gatt,
        connect: () => {
          connections[i] = (connections[i] ?? 0) + 1;
          return gatt.connect();
        },
      };
      peripherals.push(await startBlenoPeripheral({ hci: uart(batteryPtys[i] as string), battery: counted }));
    }
    const config = loadConfig({
      flags: { address: peripherals.map((p) => p.controllerAddress), broker: "127.0.0.1" },
      file: {
        path: "ble-faults.yaml",
        // btvirt carries one link at a time (docs/cli-ble.md, "The virtual BLE lab"): rotate connect-read-disconnect
        text: `bridge: { hci: "uart:${centralPty}", poll_interval: 0.5, disconnect_between_polls: true, max_connections: 1, connect_timeout: 5, request_timeout: 1, request_attempts: 2, stale_after_polls: 2, offline_after_polls: 4, backoff_max: 1, jitter: 0 }`,
      },
    });
    configuredIds = config.batteries.map((b) => b.id);
    bridge = await startBridge({
      config,
      logger: createMemoryLogger("info"),
      clock: systemClock,
      mqtt: new FakeMqtt(),
      features: [],
      createBleOpener: async (hci) => {
        const parsed = parseHci(hci);
        if (!parsed.ok) throw new Error(parsed.problem);
        const opener = createBleLinkOpener({ hci: parsed.hci, onQueueEvent: (e) => events.push(e) });
        await opener.adapter();
        return opener;
      },
    });
    bridge.bus.on("reading", (r) => readings.push(r));
    bridge.bus.on("availability", (a) => availability.push(a));
  }, 60_000);

  afterAll(async () => {
    await bridge?.stop();
    for (const peripheral of peripherals) await peripheral.stop();
    for (const battery of batteries) battery.close();
  });

  it("reconnects by itself, publishes only intact values, goes offline and back, one operation at a time", async () => {
    // ids come from the addresses (none configured), in the configured order
    const ids = configuredIds;
    const backOnline = () =>
      availability
        .filter((a) => a.batteryId === bridge.state.store.all()[1]?.batteryId)
        .map((a) => a.state)
        .join(",")
        .includes("offline,online");
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const flakyReadings = readings.filter((r) => r.address === peripherals[0]?.controllerAddress).length;
      if (backOnline() && flakyReadings >= 10 && (connections[0] ?? 0) >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const summary = JSON.stringify({
      readings: ids.map((id) => readings.filter((r) => r.batteryId === id).length),
      availability: availability.map((a) => `${a.batteryId}:${a.state}`),
      connections,
      simS: batteries.map((b) => Math.round(b.snapshot().timeS)),
    });
    expect(backOnline(), summary).toBe(true);
    for (const [i, id] of ids.entries()) {
      const mine = readings.filter((r) => r.batteryId === id);
      expect(mine.length, CASES[i]?.name).toBeGreaterThan(3);
      for (const reading of mine) {
        const { basics, cells } = intact[i] as (typeof intact)[number];
        const b = reading.basic;
        const basicOk = basics.some(
          (x) => x.voltageV === b.voltageV && x.currentA === b.currentA && x.socPct === b.socPct,
        );
        const cellsOk = cells.some(
          (mv) =>
            mv.length === reading.cells.cellsMv.length && mv.every((v, j) => v === reading.cells.cellsMv[j]),
        );
        expect(basicOk && cellsOk, `${CASES[i]?.name}: ${JSON.stringify(b)}`).toBe(true);
      }
    }
    // the flaky one was reconnected many times without restarting anything
    expect(connections[0]).toBeGreaterThanOrEqual(3);
    expect(batteries[0]?.faultCount).toBeGreaterThan(0);
    // one adapter operation at a time, and the queue did see the rotation's operations
    const kinds = new Set(events.map((e) => e.label.split(" ")[0]));
    expect(kinds).toContain("connect");
    expect(kinds).toContain("disconnect");
    expect(Math.max(...events.map((e) => e.running))).toBe(1);
  }, 90_000);
});

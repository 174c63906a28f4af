import { afterEach, describe, expect, it, vi } from "vitest";
import { Poller } from "../../../../src/bridge/device/poller.js";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import { createControlFeature } from "../../../../src/bridge/features/control/control-feature.js";
import type { MqttMessageMeta } from "../../../../src/bridge/mqtt/port.js";
import type { BatteryReading, BridgeFeature } from "../../../../src/bridge/types.js";
import { loadConfig } from "../../../../src/config/load.js";
import { JbdResponder } from "../../../../src/emulator/responder.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { toHex } from "../../../../src/protocol/bytes.js";
import {
  createEmulatedBattery,
  type EmulatedBattery,
  FakeMqtt,
  linkToBattery,
  type RecordedRequest,
} from "../../../../src/testing/index.js";
import { createBatteryLinkOpener } from "../../../../src/transport/open-link.js";
import { systemClock } from "../../../../src/util/clock.js";

const PREFIX = "accusolar";
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

interface RigOptions {
  allowControl: boolean;
  battery?: EmulatedBattery;
}

/** A real poller on an emulated battery (in-process link), the control feature, a fake broker. */
async function rig(options: RigOptions) {
  const battery = options.battery ?? createEmulatedBattery({ speed: 0 });
  const config = loadConfig({
    file: {
      path: "test.json",
      text: JSON.stringify({
        batteries: [{ address: "memory:bat", id: "1" }],
        bridge: { poll_interval: 0.5, jitter: 0, request_timeout: 0.5 },
      }),
    },
    randomHex: () => "00",
  });
  const logger = createMemoryLogger("info");
  const bus = new EventBus();
  const readings: BatteryReading[] = [];
  bus.on("reading", (r) => readings.push(r));
  const mqtt = new FakeMqtt();
  const links = createBatteryLinkOpener({
    clock: systemClock,
    logger,
    memory: new Map([["bat", () => linkToBattery(battery)]]),
  });
  const poller = new Poller({ config, clock: systemClock, logger, bus, links });
  const feature: BridgeFeature = createControlFeature(
    { logger, clock: systemClock, mqtt, device: poller },
    { prefix: PREFIX, allowControl: options.allowControl, batteryIds: ["1"], qos: 1 },
  );
  await feature.start();
  poller.start();
  stops.push(async () => {
    await feature.stop();
    await poller.stop();
    await links.close();
  });
  await vi.waitFor(() => expect(readings.length).toBeGreaterThan(0));

  const results = () => mqtt.publishesTo(`${PREFIX}/battery/1/set/result`).map((p) => JSON.parse(p.payload));
  /** Sends a command and resolves with its set/result. */
  const command = async (leaf: string, payload: string, meta?: MqttMessageMeta) => {
    const before = results().length;
    mqtt.deliver(`${PREFIX}/battery/1/set/${leaf}`, payload, meta);
    await vi.waitFor(() => expect(results().length).toBe(before + 1), { timeout: 5000 });
    return results()[before];
  };
  const writes = () => battery.requests.filter((r) => r.op === "write");
  return { battery, mqtt, logger, readings, command, writes, results };
}

const e1 = (mask: number) => `DD 5A E1 02 00 ${mask.toString(16).padStart(2, "0").toUpperCase()}`;

describe("guarded MOSFET control", () => {
  it("without --allow-control refuses every set/ command with a reason and writes nothing", async () => {
    const { battery, mqtt, logger, command, writes, readings } = await rig({ allowControl: false });
    expect(mqtt.subscriptions).toContain(`${PREFIX}/battery/+/set/#`);
    const refused = [
      await command("charge", "OFF"),
      await command("discharge", '{"state":"OFF","requested_by":"ha"}'),
      await command("balance", "ON"),
      await command("charge", "garbage"),
    ];
    for (const result of refused) {
      expect(result.outcome).toBe("rejected");
      expect(result.reason).toContain("control is disabled");
    }
    // keep polling a while: the run includes polls after the commands
    const seen = readings.length;
    await vi.waitFor(() => expect(readings.length).toBeGreaterThan(seen + 1), { timeout: 5000 });
    expect(writes()).toEqual([]);
    expect(battery.requests.every((r) => r.op === "read")).toBe(true);
    expect(battery.snapshot().fetRaw).toBe(0b11);
    expect(mqtt.retainedPayload(`${PREFIX}/battery/1/charge_fet`)).toBeUndefined();
    const warnings = logger.records.filter((r) => r.level === "warn" && r.message.includes("rejected"));
    expect(warnings).toHaveLength(4);
  });

  it("switches one FET, keeps the other's forced state, and publishes the confirmed state", async () => {
    const { battery, mqtt, command, writes } = await rig({ allowControl: true });

    const chargeOff = await command("charge", "OFF");
    expect(chargeOff).toMatchObject({
      outcome: "confirmed",
      charge_fet: "OFF",
      discharge_fet: "ON",
      request: { field: "charge", state: "OFF" },
    });
    expect(mqtt.retainedPayload(`${PREFIX}/battery/1/charge_fet`)).toBe("OFF");
    expect(mqtt.retainedPayload(`${PREFIX}/battery/1/discharge_fet`)).toBe("ON");

    await command("discharge", "OFF");
    // switching the charge FET back on must not release the discharge FET
    const chargeOn = await command("charge", "ON");
    expect(chargeOn).toMatchObject({ outcome: "confirmed", charge_fet: "ON", discharge_fet: "OFF" });
    expect(mqtt.retainedPayload(`${PREFIX}/battery/1/discharge_fet`)).toBe("OFF");

    // docs/protocol.md §7 frames: 01 charge off, 03 both off, 02 discharge off
    expect(writes().map((w) => toHex(w.bytes).slice(0, 17))).toEqual([e1(0x01), e1(0x03), e1(0x02)]);
    expect(battery.snapshot().fetRaw).toBe(0b01);
  });

  it("runs each write between polls: read 0x03, write 0xE1, read 0x03 + 0x04, never interleaved", async () => {
    const { battery, command, readings } = await rig({ allowControl: true });
    await command("charge", "OFF");
    await command("charge", "ON");
    const seen = readings.length;
    await vi.waitFor(() => expect(readings.length).toBeGreaterThan(seen), { timeout: 5000 });
    const tokens = battery.requests.map(token).join(" ");
    // the whole log is a sequence of poll blocks ([05] 03 04) and control blocks (03 E1 03 04)
    expect(tokens).toMatch(/^((05 )?03 04|03 E1 03 04)( ((05 )?03 04|03 E1 03 04))*$/);
    expect(tokens.match(/E1/g)).toHaveLength(2);
  });

  it("the read-back becomes the latest reading, so the status JSON shows the new FET state", async () => {
    const { command, readings } = await rig({ allowControl: true });
    await command("discharge", "OFF");
    const latest = readings.at(-1);
    expect(latest?.basic.dischargeFetOn).toBe(false);
    expect(latest?.basic.protection).toContain("mosfet_software_lock");
  });

  it("reports not_confirmed when the BMS acknowledges but the FET does not move", async () => {
    // a firmware that answers 0xE1 with an ack and ignores it
    const battery = createEmulatedBattery({
      speed: 0,
      responder: (model) => {
        const real = new JbdResponder(model);
        return {
          reset: () => real.reset(),
          respond: (request) =>
            request.register === 0xe1
              ? real.respond({ ...request, data: Uint8Array.of(0, 0) })
              : real.respond(request),
        };
      },
    });
    const { command, mqtt, logger } = await rig({ allowControl: true, battery });
    const result = await command("charge", "OFF");
    expect(result.outcome).toBe("not_confirmed");
    expect(result.reason).toContain("charge FET is ON after the write, not OFF");
    expect(mqtt.retainedPayload(`${PREFIX}/battery/1/charge_fet`)).toBe("ON");
    expect(logger.records.some((r) => r.level === "warn" && r.message.includes("not_confirmed"))).toBe(true);
  });

  it("refuses retained commands, unknown fields, bad payloads and unknown batteries without writing", async () => {
    const { mqtt, command, writes } = await rig({ allowControl: true });
    expect((await command("charge", "OFF", { retain: true })).reason).toContain("retained command ignored");
    expect((await command("precharge", "ON")).reason).toContain('unknown control "precharge"');
    expect((await command("charge", "1")).reason).toContain("is not ON, OFF or JSON");
    mqtt.deliver(`${PREFIX}/battery/9/set/charge`, "OFF");
    await vi.waitFor(() => expect(mqtt.publishesTo(`${PREFIX}/battery/9/set/result`)).toHaveLength(1));
    expect(JSON.parse(mqtt.publishesTo(`${PREFIX}/battery/9/set/result`)[0]?.payload ?? "").reason).toContain(
      'no configured battery "9"',
    );
    expect(writes()).toEqual([]);
  });

  it("logs who asked: topic, payload, requested_by, MQTT 5 user properties and response topic", async () => {
    const { logger, command } = await rig({ allowControl: true });
    await command("charge", '{"state":"OFF","requested_by":"ha automation"}', {
      retain: false,
      userProperties: { user: "kitchen-tablet" },
      responseTopic: "clients/tablet/reply",
    });
    const line = logger.records.find((r) => r.message.includes("→ confirmed"))?.message ?? "";
    expect(line).toContain(`${PREFIX}/battery/1/set/charge`);
    expect(line).toContain('requested_by "ha automation"');
    expect(line).toContain('user property user="kitchen-tablet"');
    expect(line).toContain("response topic clients/tablet/reply");
  });

  it("ignores its own set/result messages", async () => {
    const { mqtt, results } = await rig({ allowControl: true });
    mqtt.deliver(`${PREFIX}/battery/1/set/result`, '{"outcome":"confirmed"}');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(results()).toEqual([]);
  });
});

function token(request: RecordedRequest): string {
  return (request.register ?? 0).toString(16).padStart(2, "0").toUpperCase();
}

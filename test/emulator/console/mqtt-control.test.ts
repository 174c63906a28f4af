/**
 * The demo's MQTT controls through the embedded broker: `<prefix>/emu/<n>/set/<field>` is the PATCH of
 * that one field; a refused value is answered on `<prefix>/emu/<n>/error`; a retained one is ignored.
 */
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startBroker } from "../../../src/broker/broker.js";
import { createEmulatedBattery } from "../../../src/emulator/battery.js";
import { EmulatorConsole } from "../../../src/emulator/console/console.js";
import { payloadValue, startMqttControl } from "../../../src/emulator/console/mqtt-control.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { systemClock } from "../../../src/util/clock.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const waitFor = async (what: string, check: () => boolean) => {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("MQTT controls (bms-bridge demo)", () => {
  it("reads payloads as JSON, else as text, and an empty one as null", () => {
    expect(payloadValue(Buffer.from("-50"))).toBe(-50);
    expect(payloadValue(Buffer.from('{"3": -120}'))).toEqual({ "3": -120 });
    expect(payloadValue(Buffer.from("false"))).toBe(false);
    expect(payloadValue(Buffer.from("drop:0.3"))).toBe("drop:0.3");
    expect(payloadValue(Buffer.from(""))).toBeNull();
  });

  it("sets a field from a message, answers a bad one on the error topic, ignores a retained one", async () => {
    const logger = createMemoryLogger("info");
    const broker = await startBroker({ hosts: ["127.0.0.1"], port: 0, wsPort: null, logger });
    cleanups.push(() => broker.close());
    const batteries = [createEmulatedBattery({ speed: 0 }), createEmulatedBattery({ speed: 0 })];
    const core = new EmulatorConsole(
      { batteries, setupFor: async () => ({}), scenarioNames: async () => [] },
      { clock: systemClock },
    );
    const url = `mqtt://127.0.0.1:${broker.ports.mqtt}`;
    const control = await startMqttControl(core, { url, prefix: "accusolar", logger });
    cleanups.push(() => control.close());
    expect(control.topic).toBe("accusolar/emu/+/set/+");

    const user = await mqtt.connectAsync(url, { protocolVersion: 4 });
    cleanups.push(() => user.endAsync());
    const errors: string[] = [];
    user.on("message", (_t, payload) => errors.push(payload.toString()));
    await user.subscribeAsync("accusolar/emu/+/error");

    await user.publishAsync("accusolar/emu/2/set/current_a", "-50");
    await waitFor("battery 2 at -50 A", () => batteries[1]?.snapshot().currentA === -50);
    expect(batteries[0]?.snapshot().currentA).toBe(9.93);
    await user.publishAsync("accusolar/emu/2/set/fault", "drop:0.3");
    await waitFor("the fault", () => batteries[1]?.consoleFaults.join() === "drop:0.3");

    await user.publishAsync("accusolar/emu/1/set/soc_pct", "200");
    await waitFor("the error", () => errors.length > 0);
    expect(JSON.parse(errors[0] as string)).toMatchObject({
      field: "soc_pct",
      error: expect.stringContaining("0 to 100"),
    });
    expect(batteries[0]?.snapshot().socPct).toBe(71);

    // a retained set is applied once, live; a control that subscribes later gets the retained copy and
    // ignores it (a stale one must not replay at the next start)
    await user.publishAsync("accusolar/emu/1/set/soc_pct", "20", { retain: true });
    await waitFor("the live message", () => batteries[0]?.snapshot().socPct === 20);
    await core.patch(1, { soc_pct: 50 });
    const late = await startMqttControl(core, { url, prefix: "accusolar", logger });
    cleanups.push(() => late.close());
    await waitFor("the retained warning", () =>
      logger.records.some((r) => r.message.includes("ignored retained accusolar/emu/1/set/soc_pct")),
    );
    expect(batteries[0]?.snapshot().socPct).toBe(50);
  });
});

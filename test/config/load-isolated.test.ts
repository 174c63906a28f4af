import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { loadConfigIsolated } from "../../src/config/load-isolated.js";
import { BmsError } from "../../src/errors.js";

/** The error a load throws (the test fails if it does not throw). */
async function failureOf(load: () => unknown): Promise<unknown> {
  try {
    await load();
  } catch (error) {
    return error;
  }
  throw new Error("expected the load to fail");
}

const file = {
  path: "/etc/bms-bridge/config.yaml",
  text: [
    "batteries:",
    "  - address: A5:C2:37:3C:76:D2",
    "    name: House 1",
    "  - address: tcp:gateway.lan:8899",
    "mqtt:",
    "  client_id: pinned-for-the-test",
    "bridge:",
    "  poll_interval: 2",
  ].join("\n"),
};

describe("loadConfigIsolated: loadConfig in a worker thread (the bridge never loads zod)", () => {
  it("returns what loadConfig returns, from a file, the environment and flags", async () => {
    const sources = {
      file,
      env: { MQTT_BROKER: "broker.lan", LOG_LEVEL: "debug" },
      flags: { qos: "2" },
      hostname: "pi-garage",
    };
    const isolated = await loadConfigIsolated(sources);
    expect(isolated).toEqual(loadConfig(sources));
    expect(isolated.batteries.map((battery) => battery.id)).toEqual(["house_1", "tcp-gateway-lan-8899"]);
    expect(isolated.mqtt).toMatchObject({ host: "broker.lan", qos: 2, clientId: "pinned-for-the-test" });
  });

  it("throws the same CONFIG_INVALID error, every problem listed", async () => {
    const sources = {
      file: { path: file.path, text: `${file.text}\n  polling: 3\n` },
      env: { MQTT_PORT: "abc" },
      hostname: "pi-garage",
    };
    const inProcess = await failureOf(() => loadConfig(sources));
    const isolated = await failureOf(() => loadConfigIsolated(sources));
    expect(isolated).toBeInstanceOf(BmsError);
    expect(inProcess).toBeInstanceOf(BmsError);
    const { code, message, context } = isolated as BmsError;
    expect({ code, message, context }).toEqual({
      code: (inProcess as BmsError).code,
      message: (inProcess as BmsError).message,
      context: (inProcess as BmsError).context,
    });
    expect(code).toBe("CONFIG_INVALID");
    expect(context.problems).toEqual([
      'MQTT_PORT: "abc" is not a number',
      `${file.path}: bridge: unknown key "polling"`,
    ]);
  });

  it("requires a battery unless told not to, like loadConfig", async () => {
    const error = await failureOf(() => loadConfigIsolated({ env: {}, hostname: "pi" }));
    expect((error as BmsError).message).toBe(
      "BMS_ADDRESS: no battery configured (set BMS_ADDRESS, --address or batteries: in a config file)",
    );
    const config = await loadConfigIsolated({ env: {}, hostname: "pi", requireBattery: false });
    expect(config.batteries).toEqual([]);
  });
});

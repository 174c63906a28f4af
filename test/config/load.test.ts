import { describe, expect, it } from "vitest";
import { printableConfig } from "../../src/config/config.js";
import { loadConfig } from "../../src/config/load.js";
import { isBmsError } from "../../src/errors.js";

const fixedHex = () => "abcd1234";

/** The problems a failing load reports (the test fails if it does not fail). */
function problemsOf(sources: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig({ randomHex: fixedHex, ...sources });
  } catch (error) {
    if (isBmsError(error, "CONFIG_INVALID")) return (error.context.problems as string[]) ?? [];
    throw error;
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("loadConfig from the original Python bridge's environment variables", () => {
  it("reads the original Python bridge's four variables with its defaults", () => {
    const config = loadConfig({ env: { BMS_ADDRESS: "a5:c2:37:3c:76:d2" }, randomHex: fixedHex });
    expect(config.batteries).toHaveLength(1);
    expect(config.batteries[0]).toMatchObject({
      id: "a5c2373c76d2",
      address: "A5:C2:37:3C:76:D2",
      hci: "native",
    });
    expect(config.batteries[0]?.target).toEqual({ kind: "ble", mac: "A5:C2:37:3C:76:D2" });
    expect(config.mqtt).toMatchObject({
      host: "localhost",
      port: 1883,
      url: "mqtt://localhost:1883",
      tls: false,
    });
    expect(config.bridge.pollIntervalS).toBe(5);
    expect(config.batteries[0]?.pollIntervalS).toBe(5);
    expect(config.mqtt.topicPrefix).toBe("accusolar");
    expect(config.mqtt.qos).toBe(1);
  });

  it("takes MQTT_BROKER, MQTT_PORT and POLL_INTERVAL as the setup guide's systemd unit sets them", () => {
    const config = loadConfig({
      env: {
        BMS_ADDRESS: "A5:C2:37:3C:76:D2",
        MQTT_BROKER: "192.168.8.152",
        MQTT_PORT: "1884",
        POLL_INTERVAL: "10",
      },
      randomHex: fixedHex,
    });
    expect(config.mqtt.url).toBe("mqtt://192.168.8.152:1884");
    expect(config.bridge.pollIntervalS).toBe(10);
  });

  it("accepts several comma-separated addresses and gives each an id from its address, unique across a site", () => {
    const config = loadConfig({
      env: {
        BMS_ADDRESS:
          "A5:C2:37:3C:76:D2, A5:C2:37:46:27:CC,tcp:10.0.0.5:8899,serial:/dev/ttyUSB0@9600,memory:emu",
      },
      randomHex: fixedHex,
      hostname: "pi.shed",
    });
    expect(config.batteries.map((b) => [b.id, b.address])).toEqual([
      ["a5c2373c76d2", "A5:C2:37:3C:76:D2"],
      ["a5c2374627cc", "A5:C2:37:46:27:CC"],
      ["tcp-10-0-0-5-8899", "tcp:10.0.0.5:8899"],
      // a device path is only unique on its host: the bridge id in front
      ["pi-shed-ttyusb0", "serial:/dev/ttyUSB0"],
      // in-process batteries (the demo) keep 1…N
      ["5", "memory:emu"],
    ]);
  });

  it("keeps a configured id or name as the battery id", () => {
    const config = loadConfig({
      file: {
        path: "bms-bridge.yaml",
        text: "batteries:\n  - { id: '1', address: A5:C2:37:3C:76:D2 }\n  - { name: House 2, address: tcp:10.0.0.5:8899 }\n",
      },
    });
    expect(config.batteries.map((b) => b.id)).toEqual(["1", "house_2"]);
  });

  it("names the bridge after its host unless BMS_BRIDGE_ID or --bridge-id says otherwise; bank auto by default", () => {
    const base = { BMS_ADDRESS: "A5:C2:37:3C:76:D2" };
    const byHost = loadConfig({ env: base, hostname: "pi.garage" });
    expect(byHost.bridge).toMatchObject({ id: "pi-garage", bank: "auto" });
    const named = loadConfig({ env: { ...base, BMS_BRIDGE_ID: "shed", BMS_BANK: "off" }, hostname: "x" });
    expect(named.bridge).toMatchObject({ id: "shed", bank: "off" });
    const flagged = loadConfig({ env: base, flags: { bridgeId: "boat", bank: "always" }, hostname: "x" });
    expect(flagged.bridge).toMatchObject({ id: "boat", bank: "always" });
    expect(() => loadConfig({ env: { ...base, BMS_BRIDGE_ID: "a/b", BMS_BANK: "maybe" } })).toThrow(
      /BMS_BRIDGE_ID: "a\/b" may only contain letters[\s\S]*BMS_BANK: "maybe" is not one of auto, always, off/,
    );
  });

  it("gives each bridge its own client id unless one is set (two bridges must not kick each other off)", () => {
    const a = loadConfig({ env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2" }, hostname: "pi.garage" });
    const b = loadConfig({ env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2" }, hostname: "pi.garage" });
    expect(a.mqtt.clientId).toMatch(/^bms-bridge-pigarage-[0-9a-f]{6}$/);
    expect(a.mqtt.clientId).not.toBe(b.mqtt.clientId);
    const fixed = loadConfig({ env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2", MQTT_CLIENT_ID: "pi-garage" } });
    expect(fixed.mqtt.clientId).toBe("pi-garage");
  });

  it("treats an empty variable as unset", () => {
    const config = loadConfig({
      env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2", MQTT_PORT: "" },
      randomHex: fixedHex,
    });
    expect(config.mqtt.port).toBe(1883);
  });

  it("builds TLS and IPv6 URLs, taking credentials and ports written in the URL", () => {
    const tls = loadConfig({
      env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2", MQTT_BROKER: "broker.lan", MQTT_TLS: "yes" },
    });
    expect(tls.mqtt).toMatchObject({ url: "mqtts://broker.lan:8883", tls: true });
    const url = loadConfig({
      env: {
        BMS_ADDRESS: "A5:C2:37:3C:76:D2",
        MQTT_BROKER: "mqtts://bob:s3cret@broker.lan:9999",
        MQTT_PORT: "1",
      },
    });
    expect(url.mqtt).toMatchObject({
      url: "mqtts://broker.lan:9999",
      tls: true,
      username: "bob",
      password: "s3cret",
    });
    const v6 = loadConfig({ env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2", MQTT_BROKER: "tcp://[::1]:1884" } });
    expect(v6.mqtt).toMatchObject({ url: "mqtt://[::1]:1884", host: "::1", port: 1884 });
    const bareV6 = loadConfig({ env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2", MQTT_BROKER: "::1" } });
    expect(bareV6.mqtt.url).toBe("mqtt://[::1]:1883");
  });
});

describe("loadConfig precedence: flags > env > file > defaults", () => {
  const file = {
    path: "bms-bridge.yaml",
    text: [
      "version: 1",
      "batteries:",
      "  - name: House 1",
      "    address: A5:C2:37:3C:76:D2",
      "    poll_interval: 30",
      "  - id: shed",
      "    address: serial:/dev/ttyUSB0@19200",
      "    disconnect_between_polls: true",
      "mqtt:",
      "  broker: filehost",
      "  port: 1885",
      "  password: hunter2",
      "bridge:",
      "  poll_interval: 7",
      "  max_connections: 2",
    ].join("\n"),
  };

  it("reads per-battery options from a YAML file", () => {
    const config = loadConfig({ file, randomHex: fixedHex });
    expect(
      config.batteries.map((b) => [b.id, b.name, b.address, b.pollIntervalS, b.disconnectBetweenPolls]),
    ).toEqual([
      ["house_1", "House 1", "A5:C2:37:3C:76:D2", 30, false],
      ["shed", "shed", "serial:/dev/ttyUSB0@19200", 7, true],
    ]);
    expect(config.bridge.maxConnections).toBe(2);
    expect(config.mqtt.url).toBe("mqtt://filehost:1885");
  });

  it("bounds the MQTT offline queue at 1000 publishes unless the file sets mqtt.queue_limit", () => {
    const address = { BMS_ADDRESS: "A5:C2:37:3C:76:D2" };
    expect(loadConfig({ env: address, randomHex: fixedHex }).mqtt.queueLimit).toBe(1000);
    const small = { path: "q.yaml", text: "mqtt:\n  queue_limit: 5\n" };
    expect(loadConfig({ env: address, file: small, randomHex: fixedHex }).mqtt.queueLimit).toBe(5);
    const zero = { path: "q.yaml", text: "mqtt:\n  queue_limit: 0\n" };
    expect(problemsOf({ env: address, file: zero })).toEqual([
      "q.yaml: mqtt.queue_limit: 0 must be between 1 and 1000000",
    ]);
  });

  it("lets the environment override the file and flags override both", () => {
    const config = loadConfig({
      file,
      env: { MQTT_BROKER: "envhost", POLL_INTERVAL: "9", MQTT_PORT: "1886" },
      flags: { port: "1887" },
      randomHex: fixedHex,
    });
    expect(config.mqtt.url).toBe("mqtt://envhost:1887");
    expect(config.bridge.pollIntervalS).toBe(9);
    // the file's own per-battery poll_interval still wins for that battery
    expect(config.batteries.map((b) => b.pollIntervalS)).toEqual([30, 9]);
  });

  it("replaces the file's battery list when BMS_ADDRESS or --address is given", () => {
    const fromEnv = loadConfig({ file, env: { BMS_ADDRESS: "tcp:gw:8899" }, randomHex: fixedHex });
    expect(fromEnv.batteries.map((b) => b.address)).toEqual(["tcp:gw:8899"]);
    const fromFlags = loadConfig({
      file,
      env: { BMS_ADDRESS: "tcp:gw:8899" },
      flags: { address: ["A5:C2:37:46:27:CC", "A5:C2:37:41:1D:E0"] },
      randomHex: fixedHex,
    });
    expect(fromFlags.batteries.map((b) => b.address)).toEqual(["A5:C2:37:46:27:CC", "A5:C2:37:41:1D:E0"]);
  });

  it("reads JSON files too", () => {
    const config = loadConfig({
      file: {
        path: "c.json",
        text: JSON.stringify({ batteries: [{ address: "tcp:h:1" }], log: { level: "debug" } }),
      },
    });
    expect(config.log.level).toBe("debug");
  });

  it("masks the password when printing the effective config", () => {
    const printed = JSON.stringify(printableConfig(loadConfig({ file, randomHex: fixedHex })));
    expect(printed).not.toContain("hunter2");
    expect(printed).toContain('"password":"********"');
  });

  it("prints the effective config as a valid config file that loads to the same config", () => {
    const config = loadConfig({
      file,
      env: { MQTT_TLS: "1", POLL_INTERVAL: "9", BMS_ALLOW_CONTROL: "yes", BMS_CAPTURE_FILE: "/tmp/c.jsonl" },
      randomHex: fixedHex,
    });
    expect(config.bridge).toMatchObject({ allowControl: true, captureFile: "/tmp/c.jsonl" });
    const printed = JSON.stringify(printableConfig(config));
    const again = loadConfig({ file: { path: "printed.json", text: printed }, randomHex: () => "ffff" });
    expect(again).toEqual({ ...config, mqtt: { ...config.mqtt, password: "********" } });
  });
});

describe("loadConfig rejects every invalid value with a message naming where it came from", () => {
  it.each([
    [{ BMS_ADDRESS: "A5:C2" }, 'BMS_ADDRESS: "A5:C2" is not a BLE address or serial:/tcp: address'],
    [{ MQTT_PORT: "abc" }, 'MQTT_PORT: "abc" is not a number'],
    [{ MQTT_PORT: "70000" }, "MQTT_PORT: 70000 must be between 1 and 65535"],
    [{ MQTT_PORT: "18.5" }, "MQTT_PORT: 18.5 is not a whole number"],
    [{ POLL_INTERVAL: "0" }, "POLL_INTERVAL: 0 must be between 0.5 and 86400 s"],
    [{ POLL_INTERVAL: "soon" }, 'POLL_INTERVAL: "soon" is not a number'],
    [{ MQTT_QOS: "3" }, "MQTT_QOS: 3 is not 0, 1 or 2"],
    [{ MQTT_TLS: "maybe" }, 'MQTT_TLS: "maybe" is not a boolean (true/false, 1/0, yes/no)'],
    [
      { MQTT_BROKER: "http://x" },
      'MQTT_BROKER: "http://x" has an unsupported scheme (use mqtt:// or mqtts://)',
    ],
    [{ MQTT_BROKER: "my broker" }, 'MQTT_BROKER: "my broker" is not a host name or URL'],
    [{ MQTT_TOPIC_PREFIX: "a/#" }, 'MQTT_TOPIC_PREFIX: "a/#" must not be empty or contain + or #'],
    [{ BMS_HCI: "hci0" }, 'BMS_HCI: "hci0" is not an HCI selection (native, native:N or uart:/dev/ttyX)'],
    [{ LOG_LEVEL: "verbose" }, 'LOG_LEVEL: "verbose" is not one of debug, info, warn, error'],
    [{ BMS_MAX_CONNECTIONS: "0" }, "BMS_MAX_CONNECTIONS: 0 must be between 1 and 16"],
  ])("%o", (env, expected) => {
    expect(problemsOf({ env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2", ...env } })).toEqual([expected]);
  });

  it("requires a battery and says how to configure one", () => {
    expect(problemsOf({ env: {} })).toEqual([
      "BMS_ADDRESS: no battery configured (set BMS_ADDRESS, --address or batteries: in a config file)",
    ]);
  });

  it("lists every problem at once", () => {
    const problems = problemsOf({ env: { BMS_ADDRESS: "nope", MQTT_PORT: "0", LOG_LEVEL: "loud" } });
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["BMS_ADDRESS", "LOG_LEVEL", "MQTT_PORT"]);
  });

  it("names the flag when the bad value came from a flag", () => {
    expect(problemsOf({ flags: { address: ["A5:C2:37:3C:76:D2"], pollInterval: "x" } })).toEqual([
      '--poll-interval: "x" is not a number',
    ]);
  });

  it("rejects unknown keys in a file (typos) with the file and path", () => {
    const text = "batteries:\n  - address: tcp:h:1\n    pol_interval: 5\nmqtt:\n  brokr: x\n";
    expect(problemsOf({ file: { path: "b.yaml", text } })).toEqual([
      'b.yaml: batteries[0]: unknown key "pol_interval"',
      'b.yaml: mqtt: unknown key "brokr"',
    ]);
  });

  it("reports wrong types, duplicates and an unsupported version from a file", () => {
    const text = [
      "version: 2",
      "batteries:",
      "  - { id: a, address: tcp:h:1 }",
      "  - { id: a, address: TCP-NOPE }",
      "  - { id: 'b/c', address: tcp:h:1 }",
      "bridge: { poll_interval: '5s', stale_after_polls: 4, offline_after_polls: 2 }",
    ].join("\n");
    expect(problemsOf({ file: { path: "b.yaml", text } })).toEqual([
      "b.yaml: version: 2 is not a supported version (1)",
      'b.yaml: batteries[1].address: "TCP-NOPE" is not a BLE address or serial:/tcp: address',
      'b.yaml: batteries[2].id: "b/c" may only contain letters, digits, "-" and "_" (it is a topic level)',
      'b.yaml: bridge.poll_interval: "5s" is not a number',
    ]);
  });

  it("checks cross-field rules once the fields themselves are valid", () => {
    const text = [
      "batteries:",
      "  - { id: a, address: tcp:h:1 }",
      "  - { id: a, address: tcp:h:1 }",
      "bridge: { stale_after_polls: 4, offline_after_polls: 2 }",
    ].join("\n");
    expect(problemsOf({ file: { path: "b.yaml", text } })).toEqual([
      "b.yaml: bridge.offline_after_polls: 2 must be at least stale_after_polls (4)",
      'b.yaml: batteries[1].id: "a" is used by battery 1 too',
      'b.yaml: batteries[1].address: "tcp:h:1" is listed twice (also battery 1)',
    ]);
  });

  it("reports a file that is not YAML or not a mapping", () => {
    expect(problemsOf({ file: { path: "b.yaml", text: "batteries: [" } })[0]).toMatch(
      /^b\.yaml: not valid YAML/,
    );
    expect(problemsOf({ file: { path: "b.json", text: "{" } })[0]).toMatch(/^b\.json: not valid JSON/);
    expect(problemsOf({ file: { path: "b.yaml", text: "- a\n- b" } })).toContain(
      "b.yaml: must hold a mapping (batteries:, mqtt:, bridge:, log:)",
    );
  });
});

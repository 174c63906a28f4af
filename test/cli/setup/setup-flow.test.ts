import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  type BatteryReadout,
  runSetup,
  type SetupDeps,
  type SetupFlags,
} from "../../../src/cli/setup/setup-flow.js";
import { loadConfig } from "../../../src/config/load.js";
import { isBmsError } from "../../../src/errors.js";
import { SAMPLE_CELLS_MV, sampleBasicInfo } from "../../../src/testing/index.js";
import { judgeJbd } from "../../../src/transport/ble/jbd-verdict.js";
import type { ScannedDevice } from "../../../src/transport/ble/scan.js";

function device(address: string, rssi: number, name?: string): ScannedDevice {
  return {
    address,
    rssi,
    name,
    manufacturerDataHex: undefined,
    serviceUuids: ["ff00"],
    connectable: true,
    verdict: judgeJbd({ address, name, serviceUuids: ["ff00"] }),
  };
}

const SCAN = [
  device("A5:C2:37:3C:76:D2", -45, "DP04S007L4S200A"),
  device("A5:C2:37:3C:76:D3", -60, "DP04S007L4S200A"),
  device("11:22:33:44:55:66", -40, "Headphones"),
];

const READOUT: BatteryReadout = {
  basic: sampleBasicInfo(),
  cells: { cellsMv: [...SAMPLE_CELLS_MV] },
  model: "JBD-DP04S007-L4S-200A",
};

/** Fake effects that record what the flow did. */
function fakes(overrides: Partial<SetupDeps> = {}) {
  const files = new Map<string, string>();
  const calls = { scans: 0, reads: [] as string[], brokers: [] as string[], installs: [] as string[] };
  const deps: SetupDeps = {
    version: "1.2.3",
    scan: async (_hci, _s, onProgress) => {
      calls.scans++;
      onProgress({ elapsedMs: 500, found: SCAN.length });
      return SCAN;
    },
    readOnce: async (address) => {
      calls.reads.push(address);
      return READOUT;
    },
    testBroker: async (url) => {
      calls.brokers.push(url);
      return { ok: true, ms: 12 };
    },
    exists: async (path) => files.has(path),
    writeFile: async (path, text) => {
      files.set(path, text);
    },
    installService: async (path) => {
      calls.installs.push(path);
    },
    absolute: (path) => `/home/pi/${path}`,
    now: () => new Date(Date.UTC(2026, 1, 22, 13, 0, 0)),
    ...overrides,
  };
  return { deps, files, calls };
}

const FLAGS: SetupFlags = {
  yes: false,
  address: [],
  hci: "native",
  output: "bms-bridge.yaml",
  scanSeconds: 8,
};

/**
 * A user at a terminal: waits for each prompt (a substring of it) to appear, then types the answer.
 * Fails the test if the flow asks something the script does not expect.
 */
function converse(script: Array<[prompt: string, answer: string]>) {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = "";
  let seen = 0;
  let step = 0;
  output.on("data", (chunk: Buffer) => {
    text += chunk.toString();
    const next = script[step];
    if (!next) return;
    const at = text.indexOf(next[0], seen);
    if (at === -1) return;
    seen = at + next[0].length;
    step++;
    setImmediate(() => input.write(`${next[1]}\n`));
  });
  return { io: { input, output }, transcript: () => text, answered: () => step };
}

const loads = (text: string) =>
  loadConfig({ file: { path: "bms-bridge.yaml", text }, randomHex: () => "00" });

describe("bms-bridge setup (prompt flow)", () => {
  it("lists JBD batteries strongest first, takes '1,2', tests the broker, reads each, writes a loadable config", async () => {
    const { deps, files, calls } = fakes();
    const user = converse([
      ["Which batteries?", "1,2"],
      ["MQTT broker", "192.168.1.50"],
      ["Install it as a service", ""],
    ]);
    const result = await runSetup(FLAGS, user.io, deps);
    const out = user.transcript();
    expect(out).toMatch(/ 1\) A5:C2:37:3C:76:D2 {2}RSSI {2}-45 {2}DP04S007L4S200A/);
    expect(out).toMatch(/ 2\) A5:C2:37:3C:76:D3/);
    expect(out).not.toContain("Headphones");
    expect(out).toContain("Testing the MQTT broker at mqtt://192.168.1.50:1883… OK");
    // the original Python bridge's reading line and the cells
    expect(out).toContain("13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27");
    expect(out).toContain("cells 3.361 3.362 3.360 3.363 V (spread 3 mV)");
    expect(out).toContain(
      "To install the service later: bms-bridge service install --config /home/pi/bms-bridge.yaml",
    );
    expect(calls.reads).toEqual(["A5:C2:37:3C:76:D2", "A5:C2:37:3C:76:D3"]);
    expect(calls.installs).toEqual([]);
    const config = loads(files.get("bms-bridge.yaml") ?? "");
    expect(config.batteries.map((b) => [b.id, b.address])).toEqual([
      ["a5c2373c76d2", "A5:C2:37:3C:76:D2"],
      ["a5c2373c76d3", "A5:C2:37:3C:76:D3"],
    ]);
    expect(config.mqtt.url).toBe("mqtt://192.168.1.50:1883");
    expect(result.path).toBe("bms-bridge.yaml");
  });

  it("Enter takes the strongest battery and localhost:1883", async () => {
    const { deps, files, calls } = fakes();
    const user = converse([
      ["Which batteries?", ""],
      ["MQTT broker", ""],
      ["Install it as a service", "y"],
    ]);
    await runSetup(FLAGS, user.io, deps);
    const config = loads(files.get("bms-bridge.yaml") ?? "");
    expect(config.batteries.map((b) => b.address)).toEqual(["A5:C2:37:3C:76:D2"]);
    expect(config.mqtt.url).toBe("mqtt://localhost:1883");
    expect(calls.installs).toEqual(["/home/pi/bms-bridge.yaml"]);
  });

  it("asks again on a bad selection, and accepts an address typed by hand", async () => {
    const { deps, files } = fakes();
    const user = converse([
      ["Which batteries?", "7"],
      ["Which batteries?", "tcp:10.0.0.5:8899"],
      ["MQTT broker", "mqtt://broker.lan:1884"],
      ["Install it as a service", "n"],
    ]);
    await runSetup(FLAGS, user.io, deps);
    expect(user.transcript()).toContain("7 is not in the list (1-2); try again.");
    const config = loads(files.get("bms-bridge.yaml") ?? "");
    expect(config.batteries.map((b) => b.address)).toEqual(["tcp:10.0.0.5:8899"]);
    expect(config.mqtt.url).toBe("mqtt://broker.lan:1884");
  });

  it("without Bluetooth says so clearly and offers manual entry", async () => {
    const { deps, files } = fakes({
      scan: async () => {
        throw new Error("no Bluetooth controller found (hci0)");
      },
    });
    const user = converse([
      ["Battery address", "serial:/dev/ttyUSB0"],
      ["MQTT broker", ""],
      ["Install it as a service", ""],
    ]);
    await runSetup(FLAGS, user.io, deps);
    expect(user.transcript()).toContain(
      "Bluetooth is not available here: no Bluetooth controller found (hci0)",
    );
    expect(loads(files.get("bms-bridge.yaml") ?? "").batteries[0]?.address).toBe("serial:/dev/ttyUSB0");
  });

  it("reports a broker that does not answer and lets the user keep it or pick another", async () => {
    const { deps, calls } = fakes({
      testBroker: async (url) => {
        calls.brokers.push(url);
        return url.includes("good") ? { ok: true, ms: 5 } : { ok: false, reason: "connection refused" };
      },
    });
    const user = converse([
      ["Which batteries?", ""],
      ["MQTT broker", "bad.lan"],
      ["Keep this broker anyway", "n"],
      ["MQTT broker", "good.lan:1883"],
      ["Install it as a service", ""],
    ]);
    const result = await runSetup(FLAGS, user.io, deps);
    expect(user.transcript()).toContain(
      "Testing the MQTT broker at mqtt://bad.lan:1883… FAILED: connection refused.",
    );
    expect(calls.brokers).toEqual(["mqtt://bad.lan:1883", "mqtt://good.lan:1883"]);
    expect(result.choices.broker.broker).toBe("good.lan");
  });

  it("never overwrites an existing file without asking", async () => {
    const { deps, files } = fakes();
    files.set("bms-bridge.yaml", "# mine\n");
    const user = converse([
      ["Which batteries?", ""],
      ["MQTT broker", ""],
      ["bms-bridge.yaml exists. Overwrite it?", ""],
      ["Write the configuration to which file instead?", "second.yaml"],
      ["Install it as a service", ""],
    ]);
    await runSetup(FLAGS, user.io, deps);
    expect(files.get("bms-bridge.yaml")).toBe("# mine\n");
    expect(loads(files.get("second.yaml") ?? "").batteries).toHaveLength(1);
  });

  it("--yes takes every default without prompting, and uses --address/--broker/--output", async () => {
    const { deps, files, calls } = fakes();
    const input = new PassThrough(); // never written to: a prompt would hang the test
    const output = new PassThrough();
    let out = "";
    output.on("data", (c: Buffer) => (out += c.toString()));
    await runSetup(
      { ...FLAGS, yes: true, address: ["tcp:127.0.0.1:8899"], broker: "10.0.0.2:1883", output: "x.yaml" },
      { input, output },
      deps,
    );
    expect(calls.scans).toBe(0);
    expect(calls.installs).toEqual([]);
    expect(out).toContain(
      "To install the service later: bms-bridge service install --config /home/pi/x.yaml",
    );
    const config = loads(files.get("x.yaml") ?? "");
    expect(config.batteries.map((b) => b.address)).toEqual(["tcp:127.0.0.1:8899"]);
    expect(config.mqtt.url).toBe("mqtt://10.0.0.2:1883");
  });

  it("--yes refuses to overwrite and to guess a battery, with a usage error", async () => {
    const { deps, files } = fakes({ scan: async () => [] });
    const io = { input: new PassThrough(), output: new PassThrough() };
    const noBattery = await runSetup({ ...FLAGS, yes: true }, io, deps).catch((e: unknown) => e);
    expect(isBmsError(noBattery, "USAGE") && noBattery.message).toContain(
      "no battery found; give one with --address",
    );
    files.set("bms-bridge.yaml", "# mine\n");
    const exists = await runSetup({ ...FLAGS, yes: true, address: ["tcp:127.0.0.1:1"] }, io, deps).catch(
      (e: unknown) => e,
    );
    expect(isBmsError(exists, "USAGE") && exists.message).toContain("bms-bridge.yaml exists");
    expect(files.get("bms-bridge.yaml")).toBe("# mine\n");
  });
});

/**
 * `bms-bridge setup` in a real terminal (tmux), without Bluetooth: the wizard says BLE is unavailable,
 * takes a TCP gateway address by hand (an emulated battery), tests the embedded broker, shows the reading,
 * writes the config, and `bms-bridge run --config … --print-config` loads it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker } from "../../src/broker/broker.js";
import { loadConfig } from "../../src/config/load.js";
import { createEmulatedBattery } from "../../src/emulator/battery.js";
import { serveTcp } from "../../src/emulator/tcp-server.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { startTmux, tmuxSkipReason } from "../support/tmux.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/bms-bridge.ts");

describe.skipIf(tmuxSkipReason() !== undefined)("bms-bridge setup in a terminal (no Bluetooth)", () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let dir: string;
  let batteryPort: number;
  let brokerPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bms-setup-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const broker = await startBroker({
      hosts: ["127.0.0.1"],
      port: 0,
      wsPort: null,
      logger: createMemoryLogger(),
    });
    cleanups.push(() => broker.close());
    brokerPort = broker.ports.mqtt;
    const battery = createEmulatedBattery({ speed: 0 });
    const server = await serveTcp(battery, { host: "127.0.0.1", port: 0 });
    cleanups.push(() => server.close());
    batteryPort = server.port;
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("walks a user through manual entry, the broker test and the reading, and writes a config run loads", async () => {
    const output = join(dir, "bms-bridge.yaml");
    const term = startTmux(`${TSX} ${CLI} setup --hci uart:/nonexistent/hci-tty --output ${output}`, ROOT);
    cleanups.push(() => term.kill());
    await term.waitFor("Battery address (MAC, serial:/dev/ttyUSB0, tcp:host:port):");
    expect(term.screen()).toContain("Bluetooth is not available here");
    term.type(`tcp:127.0.0.1:${batteryPort}`);
    await term.waitFor("MQTT broker (host[:port] or URL) [localhost:1883]:");
    term.type(`127.0.0.1:${brokerPort}`);
    await term.waitFor(`Testing the MQTT broker at mqtt://127.0.0.1:${brokerPort}… OK`);
    await term.waitFor("Install it as a service");
    const screen = term.screen();
    expect(screen).toMatch(
      /\d+\.\d{2}V \| -?\d+\.\d{2}A \| SoC \d+% \| -?\d+\.\dW \| Temp -?\d+\.\d°C \| Cycles \d+/,
    );
    expect(screen).toMatch(/cells( \d\.\d{3}){4} V \(spread \d+ mV\)/);
    term.type("n");
    await term.waitFor("[exit 0]");
    expect(term.screen()).toContain(
      `To install the service later: bms-bridge service install --config ${output}`,
    );

    const text = await readFile(output, "utf8");
    const config = loadConfig({ file: { path: output, text }, randomHex: () => "00" });
    expect(config.batteries.map((b) => b.address)).toEqual([`tcp:127.0.0.1:${batteryPort}`]);
    expect(config.mqtt.url).toBe(`mqtt://127.0.0.1:${brokerPort}`);
    const printed = await new Promise<string>((resolve, reject) =>
      execFile(
        TSX,
        [CLI, "run", "--config", output, "--print-config"],
        { cwd: ROOT, timeout: 60_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(printed).toContain(`address: tcp:127.0.0.1:${batteryPort}`);
  }, 120_000);
});

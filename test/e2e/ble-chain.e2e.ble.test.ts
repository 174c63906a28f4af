/**
 * The whole chain over real BLE: `bms-emu --hci` (two batteries, bleno) → virtual BLE lab →
 * `bms-bridge run --hci` (noble, the real poller) → Mosquitto → a client that reads like Accu-Solar.
 * The bridge disconnects between polls because btvirt cannot carry two links at once (docs/cli-ble.md).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readLikeAccuSolar } from "../../src/testing/accu-solar-client.js";
import { mosquittoSkipReason, type RunningMosquitto, startMosquitto } from "../../src/testing/mosquitto.js";
import { mosquittoSubRetained } from "../support/mosquitto-sub.js";
import { labMissing, useLab } from "../support/vble.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = (name: string) => join(ROOT, "src/cli", name);

interface Child {
  process: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

/** node with tsx's loader (not the tsx wrapper), so our signals reach the program itself. */
function start(script: string, args: string[]): Child {
  const child = spawn(process.execPath, ["--import", "tsx", CLI(script), ...args], { cwd: ROOT });
  let text = "";
  const append = (chunk: Buffer) => {
    text += chunk.toString("utf8");
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  return {
    process: child,
    output: () => text,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          const match = pattern.exec(text);
          if (match) resolve(match);
          else if (Date.now() > deadline) reject(new Error(`no ${pattern} in output:\n${text}`));
          else setTimeout(check, 100);
        };
        check();
      }),
  };
}

function exitOf(child: Child): Promise<number | null> {
  if (child.process.exitCode !== null) return Promise.resolve(child.process.exitCode);
  return new Promise((resolve) => child.process.once("exit", (code) => resolve(code)));
}

describe.skipIf(labMissing() || mosquittoSkipReason() !== undefined)(
  "bms-emu over BLE, read by bms-bridge run, published to MQTT",
  () => {
    const labPtys = useLab(3);
    const children: Child[] = [];
    let broker: RunningMosquitto | undefined;

    afterAll(async () => {
      for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
      await broker?.dispose();
    });

    it("reads both batteries in rotation and Accu-Solar sees complete telemetry", async () => {
      const [centralPty, ...batteryPtys] = labPtys() as [string, string, string];
      broker = await startMosquitto();
      const emu = start("bms-emu.ts", [
        "--count",
        "2",
        "--hci",
        batteryPtys.map((p) => `uart:${p}`).join(","),
        "--quiet",
      ]);
      children.push(emu);
      const serving = /serving ble \S+ \(([0-9A-F:]{17})\)/g;
      await emu.waitFor(/#2 .*serving ble/, 20_000);
      const addresses = [...emu.output().matchAll(serving)].map((m) => m[1] as string);
      expect(addresses).toHaveLength(2);

      const bridge = start("bms-bridge.ts", [
        "run",
        ...addresses.flatMap((a) => ["-a", a]),
        "--hci",
        `uart:${centralPty}`,
        "--broker",
        broker.host,
        "--port",
        String(broker.port),
        "--poll-interval",
        "1",
        "--disconnect-between-polls",
        "--no-ha-discovery",
      ]);
      children.push(bridge);
      for (const address of addresses) {
        await bridge.waitFor(
          new RegExp(`Battery ${idFromAddress(address)} \\(${address}\\): connected`),
          20_000,
        );
      }
      await bridge.waitFor(/Published → /, 20_000);

      const view = await readLikeAccuSolar({ host: broker.host, port: broker.port });
      expect(view.missing).toEqual([]);
      // several batteries: the plain topics carry the bank; its cells are one pack's, the one with the
      // widest spread (docs/mqtt.md "The bank"), and its status counts both batteries read over BLE
      expect(view.cells).toHaveLength(4);
      const status = mosquittoSubRetained(broker.port, "accusolar/battery/status").get(
        "accusolar/battery/status",
      );
      expect(JSON.parse(status?.payload ?? "{}")).toMatchObject({ batteries_contributing: 2 });
      expect(view.voltage).toBeGreaterThan(10);

      bridge.process.kill("SIGTERM");
      emu.process.kill("SIGTERM");
      expect(await exitOf(bridge)).toBe(0);
      expect(await exitOf(emu)).toBe(0);
      expect(bridge.output()).not.toMatch(/timed out|TIMEOUT/);
    }, 90_000);
  },
);

/** Battery ids come from the address when none is configured (docs/mqtt.md). */
function idFromAddress(address: string): string {
  return address.replaceAll(":", "").toLowerCase();
}

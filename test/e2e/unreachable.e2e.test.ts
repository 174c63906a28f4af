/**
 * Things that are not there: `scan`/`discover` without a usable adapter exit 1 with one clear line (no
 * hang, no stack); `run` with a missing serial device, a refused TCP gateway and an unreachable broker
 * keeps running and retrying, says what is wrong once per change (not once per poll), and prints no stack.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../../src/testing/mosquitto.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { bridgeConfig } from "./support/fault-suite.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STACK = /^\s+at /;

function bridgeCli(args: string[]): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "src/cli/bms-bridge.ts"), ...args],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000); // a hang shows as code null
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split("\n").filter((l) => l.trim() !== "") });
    });
  });
}

describe("scan and discover without a usable Bluetooth adapter", () => {
  it.each([
    ["scan", ["scan", "--hci", "native:7", "--timeout", "2"], "hci7"],
    ["scan", ["scan", "--hci", "uart:/dev/ttyNO-SUCH-HCI", "--timeout", "2"], "/dev/ttyNO-SUCH-HCI"],
    ["discover", ["discover", "A5:C2:37:3C:76:D2", "--hci", "native:7", "--timeout", "2"], "hci7"],
  ])(
    "%s %j exits 1 with one line naming the adapter",
    async (_name, args, names) => {
      const { code, lines } = await bridgeCli(args as string[]);
      expect(code, lines.join("\n")).toBe(1);
      expect(lines, lines.join("\n")).toHaveLength(1);
      expect(lines[0]).toContain(names as string);
      expect(lines.some((l) => STACK.test(l))).toBe(false);
    },
    40_000,
  );
});

describe("run with a missing serial device, a refused gateway and no broker", () => {
  let bridge: BridgeProcess;
  afterAll(async () => {
    await bridge?.stop();
  });

  it("keeps running and retrying, and says what is wrong once per change", async () => {
    const refusedGateway = await freeLoopbackPort();
    const noBroker = await freeLoopbackPort();
    const serial = "serial:/dev/ttyBMS-NOT-THERE";
    const tcp = `tcp:127.0.0.1:${refusedGateway}`;
    bridge = startBridgeProcess(bridgeConfig(noBroker, [serial, tcp]));
    // both batteries failed long enough to go offline (however long a loaded machine takes to get there)…
    await bridge.waitForLine(/\[1\] offline/, 30_000);
    await bridge.waitForLine(/\[2\] offline/, 30_000);
    // …then about twelve more poll intervals: each fails about a dozen times more, the broker a few times
    await sleep(6000);
    expect(bridge.running()).toBe(true);
    const lines = bridge.lines();
    const about = (text: string) =>
      lines.filter((l) => l.includes(text) && !l.includes("bms-bridge polling"));

    expect(about("/dev/ttyBMS-NOT-THERE").length).toBeGreaterThanOrEqual(1);
    expect(about("/dev/ttyBMS-NOT-THERE")[0]).toMatch(/does not exist|no such|not found/i);
    expect(about(`127.0.0.1:${refusedGateway}`)[0]).toMatch(/refused/i);
    expect(about(`mqtt://127.0.0.1:${noBroker}`).join("\n")).toMatch(/nothing is listening|refused/i);
    // back-off capped at 1 s: "read failed", one "still failing" when the delay grows, "offline"; then quiet
    for (const what of ["/dev/ttyBMS-NOT-THERE", `127.0.0.1:${refusedGateway}`]) {
      expect(about(what).length, about(what).join("\n")).toBeLessThanOrEqual(3);
    }
    expect(about(`mqtt://127.0.0.1:${noBroker}`).length).toBeLessThanOrEqual(2);
    expect(
      lines.some((l) => STACK.test(l)),
      lines.join("\n"),
    ).toBe(false);
  }, 40_000);
});

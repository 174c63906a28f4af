/**
 * `bms-emu --hci uart:<pty>` spawned as a real process: a real noble central in the test reads it
 * through the virtual BLE lab, as `bms-bridge` would read a real DP04S dongle.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { decodeBasicInfo, decodeHardwareVersion } from "../../src/protocol/index.js";
import { openBleLink } from "../../src/transport/ble/index.js";
import { centralOn, readRegister } from "../support/ble-helpers.js";
import { labMissing, useLab } from "../support/vble.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const EMU = join(ROOT, "src/cli/bms-emu.ts");

/** Resolves with the first stdout match of `pattern`, or rejects after `timeoutMs`. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in bms-emu output: ${text}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const match = pattern.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

describe.skipIf(labMissing())("bms-emu --hci (spawned) served over the virtual BLE lab", () => {
  const labPtys = useLab(3);
  const children: ChildProcess[] = [];

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("advertises two batteries, one per controller, each readable and with its own model answer", async () => {
    const [centralPty, ...batteryPtys] = labPtys() as [string, string, string];
    const hci = batteryPtys.map((pty) => `uart:${pty}`).join(",");
    // node with tsx's loader rather than the tsx wrapper, so signals reach bms-emu itself
    const child = spawn(process.execPath, ["--import", "tsx", EMU, "--count", "2", "--hci", hci, "--quiet"], {
      cwd: ROOT,
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const second = await waitForOutput(
      child,
      /#2 \S+ DP04S007L4S200A serving ble \S+ \(([0-9A-F:]{17})\)/,
      20_000,
    );
    const first = /#1 \S+ DP04S007L4S200A serving ble \S+ \(([0-9A-F:]{17})\)/.exec(second.input ?? "");
    const addresses = [first?.[1], second[1]] as string[];
    expect(new Set(addresses).size).toBe(2);

    const central = await centralOn(centralPty);
    try {
      for (const address of addresses) {
        const link = await openBleLink(central, address, { timeoutMs: 8000 });
        try {
          const basic = await readRegister(link, 0x03);
          expect(basic.chunks).toBeGreaterThanOrEqual(2);
          const info = decodeBasicInfo(basic.frame.data);
          expect(info.ok && info.value.cellCount).toBe(4);
          const version = decodeHardwareVersion((await readRegister(link, 0x05)).frame.data);
          expect(version.ok && version.value.text).toBe("JBD-DP04S007-L4S-200A");
        } finally {
          await link.close();
        }
      }
    } finally {
      await central.close();
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBmsError } from "../../src/errors.js";
import { openSerialLink } from "../../src/transport/serial.js";
import type { Link } from "../../src/transport/types.js";

const hasSocat = spawnSync("socat", ["-V"]).status === 0;
if (!hasSocat) {
  if (process.env.CI === "true") throw new Error("socat is required for the serial tests when CI=true");
  console.warn("skipping serial link tests: socat is not installed");
}

function nextChunks(link: Link, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    const bytes: number[] = [];
    const off = link.onData((chunk) => {
      bytes.push(...chunk);
      if (bytes.length >= count) {
        off();
        resolve(bytes);
      }
    });
  });
}

describe.skipIf(!hasSocat)("openSerialLink over a socat pty pair", () => {
  let dir: string;
  let socat: ChildProcess;
  let a: string;
  let b: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bms-serial-"));
    a = join(dir, "a");
    b = join(dir, "b");
    socat = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" });
    while (!existsSync(a) || !existsSync(b)) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(() => {
    socat?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes bytes both ways at 9600 8N1 by default", async () => {
    const ours = await openSerialLink({ path: a, baudRate: 9600 }, { timeoutMs: 2000 });
    const device = await openSerialLink({ path: b, baudRate: 9600 }, { timeoutMs: 2000 });
    try {
      expect(ours.address).toBe(`serial:${a}`);
      const atDevice = nextChunks(device, 7);
      await ours.write(Uint8Array.from([0xdd, 0xa5, 0x03, 0x00, 0xff, 0xfd, 0x77]));
      expect(await atDevice).toEqual([0xdd, 0xa5, 0x03, 0x00, 0xff, 0xfd, 0x77]);
      const atUs = nextChunks(ours, 3);
      await device.write(Uint8Array.from([1, 2, 3]));
      expect(await atUs).toEqual([1, 2, 3]);
    } finally {
      await ours.close();
      await device.close();
    }
    expect(ours.isOpen).toBe(false);
  });

  it("says the device does not exist, with a hint", async () => {
    const error = await openSerialLink(
      { path: join(dir, "missing"), baudRate: 9600 },
      { timeoutMs: 2000 },
    ).catch((e: unknown) => e);
    expect(isBmsError(error, "DEVICE_NOT_FOUND")).toBe(true);
    expect((error as Error).message).toBe(
      `serial:${join(dir, "missing")}: no such device (is the adapter plugged in? see ls /dev/ttyUSB* /dev/serial/by-id)`,
    );
  });
});

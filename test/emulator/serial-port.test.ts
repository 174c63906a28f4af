import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulatedBattery } from "../../src/emulator/battery.js";
import { type RunningSerialPort, serveSerial } from "../../src/emulator/serial-port.js";
import { openSerialLink } from "../../src/transport/serial.js";
import { concat, hex } from "./helpers.js";

const hasSocat = spawnSync("socat", ["-V"]).status === 0;
const skipReason = hasSocat ? undefined : "socat is not installed (apt-get install socat)";
if (skipReason && process.env.CI === "true")
  throw new Error(`serial round trip cannot run under CI: ${skipReason}`);
if (skipReason) console.warn(`skipping the serial round trip: ${skipReason}`);

describe.skipIf(skipReason !== undefined)("serial adapter over a socat pty pair", () => {
  let dir: string;
  let socat: ChildProcess;
  let served: RunningSerialPort | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bms-emu-pty-"));
    socat = spawn("socat", [`pty,raw,echo=0,link=${dir}/bms`, `pty,raw,echo=0,link=${dir}/host`], {
      stdio: "ignore",
    });
    for (let i = 0; i < 200 && !(existsSync(`${dir}/bms`) && existsSync(`${dir}/host`)); i++)
      await new Promise((r) => setTimeout(r, 10));
  });

  afterAll(async () => {
    await served?.close();
    socat?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers requests written by the project's serial link", async () => {
    const battery = createEmulatedBattery({ speed: 0 });
    served = await serveSerial(battery, { path: `${dir}/bms` });
    const link = await openSerialLink({ path: `${dir}/host`, baudRate: 9600 }, { timeoutMs: 2000 });
    const chunks: Uint8Array[] = [];
    link.onData((c) => chunks.push(c));
    await link.write(hex("DD A5 04 00 FF FC 77"));
    for (let i = 0; i < 200 && concat(chunks).length < 15; i++) await new Promise((r) => setTimeout(r, 10));
    const bytes = concat(chunks);
    expect(bytes.slice(0, 4)).toEqual(hex("DD 04 00 08"));
    expect(bytes.at(-1)).toBe(0x77);
    expect(battery.requests[0]).toMatchObject({ kind: "request", register: 4 });
    await link.close();
  });
});

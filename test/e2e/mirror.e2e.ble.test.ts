/**
 * The mirror (docs/mirror.md) in the virtual BLE lab, every part real: `bms-emu --hci` (the battery,
 * controller 0) → `bms-bridge run --hci` (controller 1) `--mirror` (controller 2) → Mosquitto, and a separate noble
 * central on controller 3 playing the phone app. The phone finds DP04S007L4S200A at the mirror's address
 * (the battery itself is held by the bridge), reads 0x03/0x04 with the values the bridge publishes, has a
 * MOSFET write refused (no --allow-control), and floods the mirror without the bridge missing its polls.
 * Then the battery loses power (the emulator's console): the mirror stops advertising, and is back with it.
 */
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { encodeReadRequest, encodeWriteRequest, FrameAssembler } from "../../src/protocol/index.js";
import { decodeBasicInfo } from "../../src/protocol/registers/basic-info.js";
import { decodeCellVoltages } from "../../src/protocol/registers/cell-voltages.js";
import {
  freeLoopbackPort,
  mosquittoSkipReason,
  type RunningMosquitto,
  startMosquitto,
} from "../../src/testing/mosquitto.js";
import { type BleAdapter, jbdManufacturerData, openBleLink, scanBle } from "../../src/transport/ble/index.js";
import type { Link } from "../../src/transport/types.js";
import { centralOn, readRegister } from "../support/ble-helpers.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { labMissing, until, useLab } from "../support/vble.js";
import { spawnWatched, type WatchedProcess } from "../support/watched-process.js";

/** One of our CLIs with tsx's loader (not the tsx wrapper), so our signals reach the program itself. */
function start(script: string, args: string[]): WatchedProcess {
  return spawnWatched(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli", script), ...args], {
    name: script,
    cwd: REPO_ROOT,
  });
}

/** The first capture group of the first printed line matching `pattern`. */
async function captured(child: WatchedProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return pattern.exec(await child.waitForLine(pattern, timeoutMs))?.[1] as string;
}

interface Status {
  voltage: number;
  current: number;
  soc: number;
  cells: number[];
  discharge_fet: boolean;
  seq: number;
}

const POLL_S = 1;

describe.skipIf(labMissing() || mosquittoSkipReason() !== undefined)(
  "bms-bridge run --mirror: the phone app reads the mirror, not the battery",
  () => {
    const labPtys = useLab(4, "the mirror e2e");
    const children: WatchedProcess[] = [];
    let broker: RunningMosquitto | undefined;
    let phone: BleAdapter | undefined;
    let client: mqtt.MqttClient | undefined;

    afterAll(async () => {
      await phone?.close();
      client?.end(true);
      for (const child of children) await child.kill();
      await broker?.dispose();
    });

    it("advertises like the dongle, answers from the bridge's readings, refuses writes, survives a flood", async () => {
      const [batteryPty, bridgePty, mirrorPty, phonePty] = labPtys() as [string, string, string, string];
      broker = await startMosquitto();
      const consolePort = await freeLoopbackPort();
      const emu = start("bms-emu.ts", [
        "--hci",
        `uart:${batteryPty}`,
        "--console",
        `127.0.0.1:${consolePort}`,
        "--quiet",
      ]);
      children.push(emu);
      const batteryAddress = await captured(emu, /serving ble \S+ \(([0-9A-F:]{17})\)/);

      const statuses: Status[] = [];
      let availability = "";
      client = mqtt.connect(`mqtt://${broker.host}:${broker.port}`);
      client.on("message", (topic, payload) => {
        if (topic.endsWith("/availability")) availability = payload.toString();
        else if (payload.length > 0) statuses.push(JSON.parse(payload.toString()) as Status);
      });
      // the battery's id comes from its address: any battery's availability (there is one)
      await client.subscribeAsync(["accusolar/battery/status", "accusolar/battery/+/availability"]);

      const bridge = start("bms-bridge.ts", [
        "run",
        "-a",
        batteryAddress,
        "--hci",
        `uart:${bridgePty}`,
        "--mirror",
        `uart:${mirrorPty}`,
        "--broker",
        broker.host,
        "--port",
        String(broker.port),
        "--poll-interval",
        String(POLL_S),
        "--no-ha-discovery",
      ]);
      children.push(bridge);
      const mirrorAddress = await captured(bridge, /advertising DP04S007L4S200A as ([0-9A-F:]{17})/);
      expect(mirrorAddress).not.toBe(batteryAddress);
      await until("a published status", () => statuses.length > 0, 20_000);

      // the phone: finds the mirror by name, with the real battery's MAC in its manufacturer data
      phone = await centralOn(phonePty);
      const seen = await scanBle(phone, { timeoutMs: 3000 });
      const dongles = seen.filter((d) => d.name === "DP04S007L4S200A");
      expect(dongles.map((d) => d.address)).toContain(mirrorAddress);
      const mirror = dongles.find((d) => d.address === mirrorAddress);
      const fingerprint = jbdManufacturerData(batteryAddress) as Uint8Array;
      expect(mirror?.manufacturerDataHex).toBe(Buffer.from(fingerprint).toString("hex"));
      expect(mirror?.serviceUuids).toContain("ff00");

      const link = await openBleLink(phone, mirrorAddress, { timeoutMs: 15_000 });
      // 0x03 and 0x04 carry values the bridge published (a poll may land in between: any one of them)
      const basicReply = await readRegister(link, 0x03);
      const basic = decodeBasicInfo(basicReply.frame.data);
      if (!basic.ok) throw basic.error;
      expect(basicReply.chunks).toBeGreaterThanOrEqual(2); // 20-byte notifications, as a dongle sends
      const cellsReply = await readRegister(link, 0x04);
      const cells = decodeCellVoltages(cellsReply.frame.data);
      if (!cells.ok) throw cells.error;
      const published = (s: Status) =>
        s.voltage === round(basic.value.voltageV, 2) &&
        s.current === round(basic.value.currentA, 2) &&
        s.soc === basic.value.socPct;
      expect(statuses.some(published), JSON.stringify({ basic: basic.value, statuses })).toBe(true);
      const mirroredCells = cells.value.cellsMv.map((mv) => round(mv / 1000, 3));
      expect(statuses.map((s) => JSON.stringify(s.cells))).toContain(JSON.stringify(mirroredCells));

      // a write is refused with the BMS's own error reply, and nothing reaches the battery
      const refused = await exchange(link, encodeWriteRequest(0xe1, Uint8Array.of(0x00, 0x02)));
      expect(refused).toMatchObject({ kind: "error_reply", register: 0xe1, status: 0x81 });
      await bridge.waitForLine(/central \S+ write 0xE1 00 02 refused: control is disabled/, 10_000);
      const afterRefusal = statuses.length;
      await until("a poll after the refused write", () => statuses.length > afterRefusal + 1, 20_000);
      expect(statuses.at(-1)?.discharge_fet).toBe(true);
      const battery = (await (await fetch(`http://127.0.0.1:${consolePort}/api/batteries/1`)).json()) as {
        discharge_fet_forced_off: boolean;
      };
      expect(battery.discharge_fet_forced_off).toBe(false);

      // a flood from the phone: the bridge still publishes every poll window and the battery stays online
      const publishedBefore = statuses.length;
      const floodUntil = Date.now() + 8000;
      let sent = 0;
      while (Date.now() < floodUntil) {
        await link.write(encodeReadRequest(sent % 2 === 0 ? 0x03 : 0xaa));
        sent++;
        // as fast as this process can hand writes to its controller, while still reading MQTT
        await new Promise((resolve) => setImmediate(resolve));
      }
      const publishedDuring = statuses.length - publishedBefore;
      // bound: 8 s of flood at a 1 s poll interval; even a loaded machine publishes well over 3 readings
      expect(
        publishedDuring,
        `${sent} requests sent; bridge output:\n${bridge.lines().join("\n")}`,
      ).toBeGreaterThanOrEqual(3);
      await bridge.waitForLine(/asks faster than \d+ requests\/s: dropping the excess/, 10_000);
      expect(bridge.lines().filter((line) => /offline/.test(line))).toEqual([]);
      // the mirror still answers once the flood is over
      // (answers to the flood's last accepted requests may come first: wait for the one to this request)
      const afterFlood = await exchange(link, encodeReadRequest(0x03), 10_000);
      expect(afterFlood).toMatchObject({ kind: "response", register: 0x03 });
      await link.close();

      // the battery loses power: its mirror stops advertising, and advertises again once it is back
      const setOnline = (online: boolean) =>
        fetch(`http://127.0.0.1:${consolePort}/api/batteries/1`, {
          method: "PATCH",
          body: JSON.stringify({ online }),
        });
      await setOnline(false);
      await until("the battery offline", () => availability === "offline", 60_000);
      const whileOffline = await scanBle(phone, { timeoutMs: 3000 });
      expect(whileOffline.map((d) => d.address)).not.toContain(mirrorAddress);
      await setOnline(true);
      await until("the battery online again", () => availability === "online", 90_000);
      let again: string[] = [];
      for (let scans = 0; scans < 5 && !again.includes(mirrorAddress); scans++)
        again = (await scanBle(phone, { timeoutMs: 3000 })).map((d) => d.address);
      expect(again).toContain(mirrorAddress);

      expect(await bridge.stop()).toBe(0);
      expect(await emu.stop()).toBe(0);
    }, 240_000);
  },
);

function round(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

/** Sends raw request bytes and resolves with the first frame back for the same register. */
function exchange(link: Link, request: Uint8Array, timeoutMs = 5000) {
  const register = request[2];
  const assembler = new FrameAssembler();
  return new Promise<{ kind: string; register: number; status: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = link.onData((chunk) => {
      for (const item of assembler.push(chunk)) {
        if (item.kind === "response" || item.kind === "error_reply" || item.kind === "ack") {
          if (item.register !== register) continue;
          clearTimeout(timer);
          off();
          resolve(item);
        }
      }
    });
    link.write(request).catch(reject);
  });
}

/**
 * The no-write proof: with control not enabled (the default), the bridge PROCESS never sends anything but
 * a well-formed READ request of 0x03, 0x04 or 0x05 (docs/protocol.md §2: `DD A5 reg 00 chk 77`), over
 * thousands of requests to batteries that suffer every fault at once. Each emulator records every frame it
 * receives (its request log), so a write, a malformed frame or an unknown register would show there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFaultSpec } from "../../src/emulator/behaviors/parse-fault.js";
import { freeLoopbackPort } from "../../src/testing/mosquitto.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { bridgeConfig } from "./support/fault-suite.js";
import { type RecordingBattery, startRecordingBattery } from "./support/recording-battery.js";

const EVERY_FAULT = [
  "drop:0.05",
  "stall,p=0.05",
  "delay:600,p=0.05",
  "split:7",
  "corrupt:0.05",
  "truncate:3,p=0.05",
  "junk:DD5A0102,p=0.05",
  "error:0x80,p=0.05",
  "disconnect:0.03",
  "reboot,p=0.02",
  "noise,p=0.1",
];
const BATTERIES = 24;
const REQUESTS = 2000;
const READ_REGISTERS = new Set([0x03, 0x04, 0x05]);

describe("the bridge never writes to a BMS unless control is enabled", () => {
  const batteries: RecordingBattery[] = [];
  let bridge: BridgeProcess;

  beforeAll(async () => {
    const faults = EVERY_FAULT.map((text) => {
      const parsed = parseFaultSpec(text);
      if (!parsed.ok) throw new Error(parsed.problem);
      return parsed.spec;
    });
    for (let i = 0; i < BATTERIES; i++)
      batteries.push(await startRecordingBattery({ faults, seed: 100 + i }));
    // no broker at all: the bridge keeps polling and queueing, which is all this proof needs
    const noBroker = await freeLoopbackPort();
    bridge = startBridgeProcess(
      bridgeConfig(
        noBroker,
        batteries.map((b) => b.address),
        { request_attempts: 2 },
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await bridge?.stop();
    for (const battery of batteries) await battery.close();
  });

  it(`sends only read requests of 0x03/0x04/0x05 over ${REQUESTS}+ requests with every fault enabled`, async () => {
    const total = () => batteries.reduce((sum, b) => sum + b.battery.requests.length, 0);
    const deadline = Date.now() + 150_000;
    while (total() < REQUESTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(total()).toBeGreaterThanOrEqual(REQUESTS);
    expect(bridge.running()).toBe(true);

    const requests = batteries.flatMap((b) => b.battery.requests);
    const notReads = requests.filter(
      (r) => r.kind !== "request" || r.op !== "read" || !READ_REGISTERS.has(r.register as number),
    );
    expect(notReads.map((r) => Buffer.from(r.bytes).toString("hex"))).toEqual([]);
    // every fault did fire, on every battery
    for (const battery of batteries) expect(battery.battery.faultCount).toBeGreaterThan(0);
  }, 180_000);
});

/**
 * The bridge PROCESS against emulated batteries (the emulator's real TCP server) with one fault each and a
 * real Mosquitto, observed by a subscriber that keeps every message. Intermittent faults — a reply cut at
 * every byte offset 1…40, dropped, stalled, late, corrupted, truncated, prefixed with junk (JBD-looking
 * bytes included), an error status, a disconnect mid-frame, a reboot, unsolicited bytes — must never
 * produce a published value that did not come from an intact reply, must not stop the readings, and must
 * be logged once per failure episode, not once per poll.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mosquittoSkipReason, type RunningMosquitto, startMosquitto } from "../../src/testing/mosquitto.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { bridgeConfig, logEpisodes, publishedStatuses } from "./support/fault-suite.js";
import { type Observer, observe } from "./support/observer.js";
import {
  matchesIntactReply,
  type RecordingBattery,
  startRecordingBattery,
} from "./support/recording-battery.js";

const SPLITS = Array.from({ length: 40 }, (_, i) => `split:${i + 1}`);
/** Each fires on part of the requests; `delay:600` outlasts the 0.5 s reply timeout of a first attempt. */
const INTERMITTENT = [
  "drop:0.3",
  "stall,p=0.2",
  "delay:600,every=4",
  "corrupt:0.3",
  "truncate:3,p=0.3",
  "junk:DD0377FF,p=0.5",
  "error:0x80,p=0.3",
  "disconnect:0.1",
  "reboot,every=15",
  "noise",
  "noise:DD03000077",
];
const CASES = [...SPLITS, ...INTERMITTENT];
/** Readings every battery must reach after its first one, so each fault is exercised many times. */
const READINGS_PER_BATTERY = 6;
/** A 140 A discharge at 60× speed: the state of charge moves every few polls, so stale or stitched values show. */
const MOVING = {
  speed: 60,
  profile: { initial: { remainingAh: 270, currentA: -140, cycles: 27, temperatureC: 20, ambientC: 20 } },
};
const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 240_000);

const skip = mosquittoSkipReason() !== undefined;

describe.skipIf(skip)("the bridge process under intermittent emulator faults", () => {
  let broker: RunningMosquitto;
  const batteries: RecordingBattery[] = [];
  let bridge: BridgeProcess;
  let sub: Observer;

  beforeAll(async () => {
    broker = await startMosquitto();
    for (const fault of CASES) {
      batteries.push(
        await startRecordingBattery({ ...MOVING, faults: [parseFault(fault)], seed: batteries.length + 1 }),
      );
    }
    sub = await observe(broker.url);
    bridge = startBridgeProcess(
      bridgeConfig(
        broker.port,
        batteries.map((b) => b.address),
        { request_timeout: 0.5, request_attempts: 3, offline_after_polls: 8, stale_after_polls: 4 },
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await bridge?.stop();
    await sub?.close();
    for (const battery of batteries) await battery.close();
    await broker?.dispose();
  });

  it("keeps publishing every battery, each value from an intact reply, and logs each episode once", async () => {
    const enough = () =>
      batteries.every((_, i) => publishedStatuses(sub, String(i + 1)).length >= READINGS_PER_BATTERY);
    const counts = () => CASES.map((fault, i) => `${fault}=${publishedStatuses(sub, String(i + 1)).length}`);
    await sub
      .until(`${READINGS_PER_BATTERY} readings of every battery`, enough, WAIT_MS)
      .catch((error: Error) => {
        throw new Error(
          `${error.message}; readings: ${counts().join(" ")}\n${bridge.lines().slice(-40).join("\n")}`,
        );
      });
    expect(bridge.running()).toBe(true);

    batteries.forEach((battery, i) => {
      const id = String(i + 1);
      const statuses = publishedStatuses(sub, id);
      for (const status of statuses) {
        expect(matchesIntactReply(status, battery), `battery ${id} (${CASES[i]})`).toBeUndefined();
        expect(
          (status.cells as number[]).every((v) => v > 2),
          `0 V cell on ${CASES[i]}`,
        ).toBe(true);
      }
      // a reading counter that only grows: a damaged frame never restarts or repeats a set
      const seqs = statuses.map((s) => s.seq as number);
      expect(seqs, CASES[i]).toEqual([...seqs].sort((a, b) => a - b));
    });

    const episodes = logEpisodes(
      bridge.lines(),
      batteries.map((b) => b.address),
    );
    expect(episodes.length).toBeGreaterThan(0); // the faults did cause failures
    for (const [address, lines] of episodes) {
      // each fact of an episode (failed, reconnecting, behind schedule, reading again) is logged once
      const kinds = lines.map((line) => line.replace(/^\S+ \S+ /, "").replace(/[\d.]+/g, "#"));
      expect(new Set(kinds).size, `${address}:\n${lines.join("\n")}`).toBe(kinds.length);
    }
  }, 300_000);
});

import { parseFaultSpec } from "../../src/emulator/behaviors/parse-fault.js";

function parseFault(text: string) {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.spec;
}

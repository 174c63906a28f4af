/**
 * Outages: each emulated battery fails EVERY request for a window several poll intervals long, in its own
 * way (dropped, stalled, corrupted, truncated, error status, disconnect mid-frame, reboot, reply later than
 * every timeout), and one battery is gone altogether (its gateway stops listening). The bridge PROCESS must
 * mark each offline (clearing its retained telemetry, so nothing old is shown as live), publish nothing for
 * it until it reads again, come back online by itself, log each outage once, and stay up. A client that
 * reads like Accu-Solar (fresh connection, 2 s window) sees no telemetry during the outage and a complete
 * set after it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFaultSpec } from "../../src/emulator/behaviors/parse-fault.js";
import { serveTcp } from "../../src/emulator/tcp-server.js";
import { readLikeAccuSolar } from "../../src/testing/accu-solar-client.js";
import { mosquittoSkipReason, type RunningMosquitto, startMosquitto } from "../../src/testing/mosquitto.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { bridgeConfig, linesAbout, publishedStatuses } from "./support/fault-suite.js";
import { type Observer, observe } from "./support/observer.js";
import {
  matchesIntactReply,
  type RecordingBattery,
  startRecordingBattery,
} from "./support/recording-battery.js";

/** The outage, in emulator seconds since the battery was created (speed 1 = real seconds). */
const FROM_S = 6;
const TO_S = 14;
const window = `from=${FROM_S},to=${TO_S}`;
const OUTAGES = [
  `drop:1,${window}`,
  `stall,${window}`,
  `corrupt:1,${window}`,
  `truncate:5,${window}`,
  `error:0x80,${window}`,
  `disconnect:1,${window}`,
  `reboot:1,${window}`,
  `delay:4000,${window}`,
];
const GONE = "gateway gone";
/**
 * A 1 s reply timeout (one attempt): far below the 8 s outage, but long enough that a loaded machine
 * does not make an outage of its own before the real one (if it does, that is one more episode, below).
 */
const LOAD_TOLERANT = { request_timeout: 1 };
const CASES = [...OUTAGES, GONE];

function fault(text: string) {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.spec;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Index of the first message at or after `from` for which `match` holds, or -1. */
function indexFrom<T>(items: T[], from: number, match: (item: T) => boolean): number {
  for (let i = Math.max(0, from); i < items.length; i++) if (match(items[i] as T)) return i;
  return -1;
}

const skip = mosquittoSkipReason() !== undefined;

/**
 * A battery's `online` is published just before the values of the reading that brought it back: this is
 * true once the reading's set is in, up to `statusTopic` (published last).
 */
function valuesAfterLastOnline(sub: Observer, id: string, statusTopic: string): boolean {
  const online = sub.messages.findLastIndex(
    (m) => m.topic === `accusolar/battery/${id}/availability` && m.payload === "online",
  );
  return (
    online >= 0 && sub.messages.slice(online + 1).some((m) => m.topic === statusTopic && m.payload !== "")
  );
}

describe.skipIf(skip)("the bridge process through battery outages", () => {
  let broker: RunningMosquitto;
  const batteries: RecordingBattery[] = [];
  /** Wall time at which each battery (and so its fault window's clock) started. */
  const createdAt: number[] = [];
  let bridge: BridgeProcess;
  let sub: Observer;

  beforeAll(async () => {
    broker = await startMosquitto();
    for (const text of CASES) {
      createdAt.push(Date.now());
      batteries.push(await startRecordingBattery(text === GONE ? {} : { faults: [fault(text)] }));
    }
    sub = await observe(broker.url);
    bridge = startBridgeProcess(
      bridgeConfig(
        broker.port,
        batteries.map((b) => b.address),
        LOAD_TOLERANT,
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await bridge?.stop();
    await sub?.close();
    for (const battery of batteries) await battery.close();
    await broker?.dispose();
  });

  it("reports every battery offline during its outage, publishes nothing for it, and brings it back", async () => {
    const gone = batteries[CASES.indexOf(GONE)] as RecordingBattery;
    // the gateway stops listening for the same window as the others' faults
    await sleep(Math.max(0, (FROM_S - gone.battery.snapshot().timeS) * 1000));
    await gone.close();
    await sleep(Math.max(0, (TO_S - gone.battery.snapshot().timeS) * 1000));
    const reopened = await serveTcp(gone.battery, { host: gone.host, port: gone.port });

    try {
      const ids = CASES.map((_, i) => String(i + 1));
      const availability = (id: string) =>
        sub.on(`accusolar/battery/${id}/availability`).map((m) => m.payload);
      const backOnline = (id: string) => availability(id).join(",").includes("online,offline,online");
      const backWithValues = (id: string) =>
        backOnline(id) && valuesAfterLastOnline(sub, id, `accusolar/battery/${id}/status`);
      await sub.until(
        "every battery online, offline, online again, with values",
        () => ids.every(backWithValues),
        30_000,
      );
      expect(bridge.running()).toBe(true);

      const all = sub.messages;
      CASES.forEach((what, i) => {
        const id = ids[i] as string;
        const base = `accusolar/battery/${id}/`;
        const availability = (state: string) => (m: (typeof all)[number]) =>
          m.topic === `${base}availability` && m.payload === state;
        // the outage's offline: the last one before the outage ended (a loaded machine may add one earlier)
        const windowEnd = (createdAt[i] as number) + TO_S * 1000;
        const offlineAt = all.findLastIndex((m) => availability("offline")(m) && m.at <= windowEnd);
        // the link report (`<base>link`) is a diagnostic, published offline too (it carries the last error)
        const telemetry = (m: (typeof all)[number]) => m.topic.startsWith(base) && m.topic !== `${base}link`;
        const isValue = (m: (typeof all)[number]) =>
          telemetry(m) && m.topic !== `${base}availability` && m.payload !== "";
        const recoveredAt = indexFrom(all, offlineAt, isValue);
        expect(offlineAt, what).toBeGreaterThan(-1);
        expect(recoveredAt, what).toBeGreaterThan(offlineAt);
        const during = all.slice(offlineAt + 1, recoveredAt).filter(telemetry);
        // going offline clears the retained telemetry; nothing but clears until it reads again, and that
        // reading's `online` comes just before its values…
        expect(
          during.filter((m) => m.payload !== "").map((m) => `${m.topic} ${m.payload}`),
          what,
        ).toEqual([`${base}availability online`]);
        expect(
          during.some((m) => m.topic === `${base}voltage`),
          `${what}: voltage cleared`,
        ).toBe(true);
        // …and what comes then is a NEW reading, taken after the outage ended
        const before = all.slice(0, offlineAt).filter((m) => m.topic === `${base}status` && m.payload !== "");
        const lastSeq = (JSON.parse(before.at(-1)?.payload ?? "{}") as { seq?: number }).seq ?? 0;
        const statusAt = indexFrom(all, recoveredAt, (m) => m.topic === `${base}status` && m.payload !== "");
        const recovered = JSON.parse((all[statusAt] as { payload: string }).payload) as Record<
          string,
          unknown
        >;
        expect(recovered.seq as number, what).toBeGreaterThan(lastSeq);
        expect(Date.parse(recovered.timestamp as string), what).toBeGreaterThanOrEqual(windowEnd - 1000);

        for (const status of publishedStatuses(sub, id)) {
          expect(matchesIntactReply(status, batteries[i] as RecordingBattery), what).toBeUndefined();
        }
        // logged once per outage: one "read failed", one "offline", one "reading again" for each offline
        const episodes = all.filter(availability("offline")).length;
        const about = linesAbout(bridge.lines(), (batteries[i] as RecordingBattery).address);
        const log = `${what}:\n${about.join("\n")}`;
        expect(
          about.filter((l) => l.includes("read failed")),
          log,
        ).toHaveLength(episodes);
        expect(
          about.filter((l) => l.includes("reading again")),
          log,
        ).toHaveLength(episodes);
        expect(
          bridge.lines().filter((l) => l.includes(`[${id}] offline`)),
          what,
        ).toHaveLength(episodes);
      });
    } finally {
      await reopened.close();
    }
  }, 90_000);
});

describe.skipIf(skip)("an Accu-Solar-like client during and after an outage", () => {
  let broker: RunningMosquitto;
  let battery: RecordingBattery;
  let bridge: BridgeProcess;
  let sub: Observer;

  beforeAll(async () => {
    broker = await startMosquitto();
    // long enough for the offline bound (2 polls) plus the client's 2 s window
    battery = await startRecordingBattery({ faults: [fault("drop:1,from=6,to=16")] });
    sub = await observe(broker.url);
    bridge = startBridgeProcess(bridgeConfig(broker.port, [battery.address], LOAD_TOLERANT));
  }, 60_000);

  afterAll(async () => {
    await bridge?.stop();
    await sub?.close();
    await battery?.close();
    await broker?.dispose();
  });

  it("sees no telemetry while the battery is offline, and a complete set from intact replies after", async () => {
    const states = () => sub.on("accusolar/battery/1/availability").map((m) => m.payload);
    // the outage's offline (a loaded machine may cause a short one before it)
    const inOutage = () => battery.battery.snapshot().timeS >= 9 && states().at(-1) === "offline";
    await sub.until("offline in the outage", inOutage, 30_000);
    const during = await readLikeAccuSolar({ host: "127.0.0.1", port: broker.port });
    expect(during.messages).toBe(0);
    expect(states().at(-1)).toBe("offline"); // the outage lasted the whole window

    await sub.until(
      "online again, with values",
      () =>
        states().join(",").includes("offline,online") &&
        valuesAfterLastOnline(sub, "1", "accusolar/battery/status"),
      30_000,
    );
    const after = await readLikeAccuSolar({ host: "127.0.0.1", port: broker.port });
    expect(after.missing).toEqual([]);
    expect(after.cells.every((v) => v > 2)).toBe(true);
    const match = matchesIntactReply(
      { voltage: after.voltage, current: after.current, soc: after.soc, cells: after.cells },
      battery,
    );
    expect(match).toBeUndefined();
    expect(bridge.running()).toBe(true);
  }, 60_000);
});

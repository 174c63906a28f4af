import { describe, expect, it } from "vitest";
import {
  connectionCompleteHandle,
  disconnectCommand,
  disconnectionCompleteHandle,
  H4Splitter,
  HCI_RESET_PACKET,
  isResetCommand,
  withAdvertisingRssi,
} from "../../../scripts/vble/h4.js";
import {
  AirSchedule,
  advertisingDelayMs,
  DEFAULT_RADIO,
  radioProblem,
  reportedRssi,
} from "../../../scripts/vble/radio.js";

const ACL = Uint8Array.of(0x02, 0x40, 0x00, 0x03, 0x00, 0xaa, 0xbb, 0xcc);
const CONN_COMPLETE = Uint8Array.of(0x04, 0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, ...new Array(15).fill(0));
const DISCONN_COMPLETE = Uint8Array.of(0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x13);
const ADV_REPORT = Uint8Array.of(0x04, 0x3e, 0x0c, 0x02, 0x01, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 0x00, 0x7f);

describe("H4 framing", () => {
  it("reassembles packets split at every byte and glued together", () => {
    const stream = Uint8Array.from([...HCI_RESET_PACKET, ...ACL, ...CONN_COMPLETE, ...DISCONN_COMPLETE]);
    for (let cut = 1; cut < stream.length; cut++) {
      const splitter = new H4Splitter();
      const packets = [...splitter.push(stream.subarray(0, cut)), ...splitter.push(stream.subarray(cut))];
      expect(packets.map((p) => [...p])).toEqual(
        [HCI_RESET_PACKET, ACL, CONN_COMPLETE, DISCONN_COMPLETE].map((p) => [...p]),
      );
    }
  });

  it("reads the fields the relay acts on", () => {
    expect(isResetCommand(HCI_RESET_PACKET)).toBe(true);
    expect(isResetCommand(disconnectCommand(0x40, 0x08))).toBe(false);
    expect(connectionCompleteHandle(CONN_COMPLETE)).toBe(0x40);
    expect(connectionCompleteHandle(Uint8Array.from([...CONN_COMPLETE.slice(0, 4), 0x3e, 0x40, 0]))).toBe(
      undefined,
    );
    expect(disconnectionCompleteHandle(DISCONN_COMPLETE)).toBe(0x40);
    expect([...disconnectCommand(0x41, 0x08)]).toEqual([0x01, 0x06, 0x04, 0x03, 0x41, 0x00, 0x08]);
    const rewritten = withAdvertisingRssi(ADV_REPORT, -70);
    expect(rewritten.at(-1)).toBe(-70 & 0xff);
    expect(ADV_REPORT.at(-1)).toBe(0x7f);
  });
});

describe("the radio model", () => {
  const model = { ...DEFAULT_RADIO, intervalMs: 30, packetsPerEvent: 2 };
  const never = () => 0.99;

  it("sends data at connection events, a few per event, in order", () => {
    const air = new AirSchedule();
    expect(air.dataReleaseAt(1, model, never)).toBe(30);
    expect(air.dataReleaseAt(2, model, never)).toBe(30);
    expect(air.dataReleaseAt(3, model, never)).toBe(60); // the event is full
    expect(air.dataReleaseAt(100, model, never)).toBe(120);
    expect(air.dataReleaseAt(120, model, never)).toBe(120);
  });

  it("turns a lost packet into one more interval, and never reorders", () => {
    const air = new AirSchedule();
    const draws = [0.01, 0.01, 0.99]; // lost twice, then through
    const lossy = { ...model, loss: 0.05 };
    expect(air.dataReleaseAt(1, lossy, () => draws.shift() ?? 0.99)).toBe(90);
    expect(air.dataReleaseAt(2, lossy, never)).toBe(90);
  });

  it("delays adverts by part of the interval plus one per lost advert, with a plausible RSSI", () => {
    const lossy = { ...model, loss: 0.5, advertisingIntervalMs: 100 };
    const draws = [0.1, 0.9, 0.25]; // lost once, then kept; then a quarter interval
    expect(advertisingDelayMs(lossy, () => draws.shift() ?? 0)).toBe(125);
    for (const r of [0, 0.5, 0.999]) {
      const rssi = reportedRssi({ ...model, rssiDbm: -62 }, () => r);
      expect(rssi).toBeGreaterThanOrEqual(-66);
      expect(rssi).toBeLessThanOrEqual(-58);
    }
  });

  it("names an impossible model", () => {
    expect(radioProblem(DEFAULT_RADIO)).toBeUndefined();
    expect(radioProblem({ ...DEFAULT_RADIO, loss: 1 })).toMatch(/loss/);
    expect(radioProblem({ ...DEFAULT_RADIO, intervalMs: 2 })).toMatch(/interval/);
  });
});

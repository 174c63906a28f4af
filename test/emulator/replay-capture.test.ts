import { describe, expect, it } from "vitest";
import { ReplayResponder } from "../../src/emulator/replay.js";
import { parseBridgeCapture } from "../../src/emulator/replay-capture.js";
import { createEmulatedBattery, ManualClock } from "../../src/testing/index.js";
import { chunkLine, headerLine } from "../../src/transport/capture/format.js";

const hex = (text: string) => Uint8Array.from(text.split(" "), (b) => Number.parseInt(b, 16));
const ADDRESS = "A5:C2:37:3C:76:D2";
// a 0x04 reply (4 cells) cut into two notifications, 80 ms after the request and 20 ms apart
const REQUEST = hex("DD A5 04 00 FF FC 77");
const PART1 = hex("DD 04 00 08 0D 22 0D 23 0D 24");
const PART2 = hex("0D 23 FF 38 77");

function capture(): string {
  return [
    headerLine({
      bridge_version: "1.0.0",
      started_at: "2026-02-22T13:00:00.000Z",
      batteries: [{ id: "1", address: ADDRESS }],
    }),
    JSON.stringify({ t: 0, event: "open", address: ADDRESS }),
    chunkLine(100, "tx", ADDRESS, REQUEST),
    chunkLine(180, "rx", ADDRESS, PART1),
    chunkLine(200, "rx", ADDRESS, PART2),
    '{"t": 201, "dir": "rx", "addr', // a line cut short by a crash
  ].join("\n");
}

describe("replay of a bridge capture", () => {
  it("keeps each response's chunks and the recorded waits (request → first chunk, then between chunks)", () => {
    const byAddress = parseBridgeCapture(capture(), "test.jsonl");
    expect([...byAddress.keys()]).toEqual([ADDRESS]);
    expect(byAddress.get(ADDRESS)).toEqual([{ register: 4, chunks: [PART1, PART2], delaysMs: [80, 20] }]);
  });

  it("serves the chunks with the recorded timing divided by the speed", () => {
    const clock = new ManualClock();
    const responses = parseBridgeCapture(capture(), "test.jsonl").get(ADDRESS) ?? [];
    const battery = createEmulatedBattery({
      clock,
      speed: 0,
      notifySize: Number.MAX_SAFE_INTEGER,
      responder: () => new ReplayResponder(responses, { speed: 2 }),
    });
    const port = battery.connect();
    const received: Array<{ at: number; bytes: Uint8Array }> = [];
    port.onSend((bytes) => received.push({ at: clock.now(), bytes }));
    const start = clock.now();
    port.receive(REQUEST);
    clock.tick(39);
    expect(received).toEqual([]);
    clock.tick(1);
    expect(received).toEqual([{ at: start + 40, bytes: PART1 }]);
    clock.tick(10);
    expect(received.map((r) => [r.at - start, r.bytes])).toEqual([
      [40, PART1],
      [50, PART2],
    ]);
  });

  it("refuses a capture without a header", () => {
    expect(() => parseBridgeCapture(chunkLine(1, "rx", ADDRESS, PART1), "x.jsonl")).toThrow(
      /not a bms-bridge capture/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { EventBus } from "../../../../src/bridge/event-bus.js";
import {
  MirrorAnswers,
  STATUS_OPERATION_ERROR,
} from "../../../../src/bridge/features/mirror/mirror-answers.js";
import { BatteryStore } from "../../../../src/bridge/state/battery-store.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { FrameAssembler } from "../../../../src/protocol/assembler.js";
import { encodeReadRequest, encodeResponse, encodeWriteRequest } from "../../../../src/protocol/frame.js";
import { decodeBasicInfo } from "../../../../src/protocol/registers/basic-info.js";
import { decodeCellVoltages } from "../../../../src/protocol/registers/cell-voltages.js";
import { decodeHardwareVersion } from "../../../../src/protocol/registers/hardware-version.js";
import type { RequestFrame, ResponseFrame } from "../../../../src/protocol/types.js";
import { ManualClock, sampleReading } from "../../../../src/testing/index.js";

const CENTRAL = "11:22:33:44:55:66";
const FRESH_FOR_MS = 30_000;

function frame(bytes: Uint8Array): RequestFrame | ResponseFrame {
  const [item] = new FrameAssembler().push(bytes);
  if (!item || item.kind === "invalid" || item.kind === "module") throw new Error("not a frame");
  return item;
}
const request = (bytes: Uint8Array) => frame(bytes) as RequestFrame;
const response = (bytes: Uint8Array | undefined) => {
  if (bytes === undefined) throw new Error("no answer");
  return frame(bytes) as ResponseFrame;
};

/** A store fed through the bus, a forwarder that counts its trips, and a writer that records. */
function rig(options: { allowControl?: boolean } = {}) {
  const clock = new ManualClock();
  const bus = new EventBus();
  const store = new BatteryStore(bus, ["1"]);
  const logger = createMemoryLogger("info");
  const forwarded: RequestFrame[] = [];
  const written: RequestFrame[] = [];
  let forwardFails = false;
  const answers = new MirrorAnswers(
    {
      clock,
      logger,
      battery: () => store.get("1"),
      forward: async (req) => {
        forwarded.push(req);
        if (forwardFails) throw new Error("battery unreachable");
        return response(encodeResponse(req.register, 0, Uint8Array.of(forwarded.length)));
      },
      writeThrough: async (req) => {
        written.push(req);
        return {
          reply: response(encodeResponse(req.register, 0, new Uint8Array(0))),
          after: { fetRaw: 0b01, protectionRaw: 1 << 12 },
        };
      },
    },
    {
      freshForMs: FRESH_FOR_MS,
      cacheMs: 10_000,
      allowControl: options.allowControl ?? false,
      label: "mirror",
    },
  );
  const online = (time = clock.now()) => {
    bus.emit("availability", { batteryId: "1", state: "online", reason: "reading ok", time });
    bus.emit("reading", sampleReading({ time, model: "DP04S007L4S200A" }));
  };
  const ask = (bytes: Uint8Array) => answers.answer(request(bytes), CENTRAL);
  return {
    clock,
    bus,
    logger,
    forwarded,
    written,
    online,
    ask,
    failForwarding: () => {
      forwardFails = true;
    },
  };
}

describe("what a mirror answers", () => {
  it("answers 0x03, 0x04 and 0x05 from the latest reading, encoded as the BMS would", async () => {
    const r = rig();
    r.online();
    const reading = sampleReading({ model: "DP04S007L4S200A" });
    const basic = decodeBasicInfo(response(await r.ask(encodeReadRequest(0x03))).data);
    expect(basic.ok && basic.value.voltageV).toBe(reading.basic.voltageV);
    expect(basic.ok && basic.value.socPct).toBe(reading.basic.socPct);
    const cells = decodeCellVoltages(response(await r.ask(encodeReadRequest(0x04))).data);
    expect(cells.ok && cells.value.cellsMv).toEqual(reading.cells.cellsMv);
    const model = decodeHardwareVersion(response(await r.ask(encodeReadRequest(0x05))).data);
    expect(model.ok && model.value.text).toBe("DP04S007L4S200A");
    expect(r.forwarded).toEqual([]); // none of these costs the battery a request
  });

  it("never serves a reading older than the offline bound, nor one of an offline battery", async () => {
    const r = rig();
    expect(await r.ask(encodeReadRequest(0x03))).toBeUndefined(); // nothing read yet
    r.online();
    r.clock.tick(FRESH_FOR_MS);
    expect(await r.ask(encodeReadRequest(0x03))).toBeDefined();
    r.clock.tick(1);
    expect(await r.ask(encodeReadRequest(0x03))).toBeUndefined();
    expect(await r.ask(encodeReadRequest(0x04))).toBeUndefined();
    r.online();
    expect(await r.ask(encodeReadRequest(0x03))).toBeDefined();
    r.bus.emit("availability", { batteryId: "1", state: "offline", reason: "gone", time: r.clock.now() });
    expect(await r.ask(encodeReadRequest(0x03))).toBeUndefined();
  });

  it("forwards other reads once, shares the trip, and serves the answer again within the cache time", async () => {
    const r = rig();
    r.online();
    const [a, b] = await Promise.all([r.ask(encodeReadRequest(0xaa)), r.ask(encodeReadRequest(0xaa))]);
    expect(r.forwarded.map((f) => f.register)).toEqual([0xaa]);
    expect(a).toEqual(b);
    r.clock.tick(10_000);
    expect(await r.ask(encodeReadRequest(0xaa))).toEqual(a);
    expect(r.forwarded).toHaveLength(1);
    r.clock.tick(1);
    const fresher = await r.ask(encodeReadRequest(0xaa));
    expect(r.forwarded).toHaveLength(2);
    expect(response(fresher).data).toEqual(Uint8Array.of(2));
    await r.ask(encodeReadRequest(0x10)); // a parameter register goes the same way
    expect(r.forwarded.map((f) => f.register)).toEqual([0xaa, 0xaa, 0x10]);
  });

  it("gives no answer when the battery cannot be reached, and asks again next time", async () => {
    const r = rig();
    r.online();
    r.failForwarding();
    expect(await r.ask(encodeReadRequest(0xa0))).toBeUndefined();
    expect(await r.ask(encodeReadRequest(0xa0))).toBeUndefined();
    expect(r.forwarded).toHaveLength(2);
  });

  it("refuses every write with the BMS's operation-error reply unless control is allowed", async () => {
    const r = rig();
    r.online();
    for (const [register, data] of [
      [0x00, [0x56, 0x78]],
      [0x10, [0x0e, 0x10]],
      [0xe1, [0x00, 0x02]],
    ] as const) {
      const reply = response(await r.ask(encodeWriteRequest(register, Uint8Array.from(data))));
      expect(reply).toMatchObject({ kind: "error_reply", register, status: STATUS_OPERATION_ERROR });
    }
    expect(r.written).toEqual([]);
    // one log line for the burst, naming the central (a flood of writes must not flood the log)
    const lines = r.logger.records.filter((rec) => rec.message.includes("refused"));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.message).toContain(`central ${CENTRAL} write 0x00 56 78 refused: control is disabled`);
    r.clock.tick(10_000);
    await r.ask(encodeWriteRequest(0xe1, Uint8Array.of(0, 1)));
    expect(r.logger.records.at(-1)?.message).toContain("(2 more refused before this)");
  });

  it("with control allowed, writes through the guarded path and logs who asked and the read-back", async () => {
    const r = rig({ allowControl: true });
    r.online();
    await r.ask(encodeReadRequest(0xaa)); // cached before the write…
    const reply = response(await r.ask(encodeWriteRequest(0xe1, Uint8Array.of(0x00, 0x02))));
    expect(reply.kind).toBe("ack");
    expect(r.written.map((w) => w.register)).toEqual([0xe1]);
    const line = r.logger.records.at(-1)?.message ?? "";
    expect(line).toContain(`central ${CENTRAL} write 0xE1 00 02 acknowledged`);
    expect(line).toContain("charge FET ON, discharge FET OFF (confirmed)");
    await r.ask(encodeReadRequest(0xaa)); // …is asked again after it
    expect(r.forwarded).toHaveLength(2);
  });
});

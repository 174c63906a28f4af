/**
 * What a caller of BmsClient (src/bridge/device/client.ts) gets when a request does not simply succeed:
 * each error's code, message and context (the JSON log and the poll outcome carry them), which errors are
 * retried and how long each retry waits, and the debug lines that explain a dropped or retried reply.
 * client.test.ts covers the requests themselves.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BmsClient } from "../../../src/bridge/device/client.js";
import { BmsError } from "../../../src/errors.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { encodeResponse } from "../../../src/protocol/frame.js";
import { healthyReply, ScriptedBms } from "../../../src/testing/index.js";
import { MemoryLink } from "../../../src/transport/memory.js";
import { systemClock } from "../../../src/util/clock.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options = {}) {
  const bms = new ScriptedBms("memory:one");
  const link = bms.connect();
  const logger = createMemoryLogger();
  const client = new BmsClient(
    link,
    { clock: systemClock, logger },
    { timeoutMs: 1000, attempts: 3, timeoutGrowth: 2, maxTimeoutMs: 3000, ...options },
  );
  const debug = () => logger.records.filter((r) => r.level === "debug").map((r) => r.message);
  return { bms, link, client, debug };
}

/** Settles `promise` (a request) while moving the fake clock, and returns what it rejected with. */
async function failure(promise: Promise<unknown>, ms = 10_000): Promise<unknown> {
  const caught = promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  await vi.advanceTimersByTimeAsync(ms);
  return caught;
}

describe("BmsClient errors", () => {
  it("a silent battery: TIMEOUT with the register, the last wait and the address; one debug line per retry", async () => {
    const { bms, client, debug } = setup();
    bms.responder = () => undefined;
    const error = await failure(client.readModel());
    expect(error).toMatchObject({
      code: "TIMEOUT",
      message: "memory:one: no reply to 0x05 within 3000 ms",
      context: { address: "memory:one", register: 5, timeoutMs: 3000 },
    });
    expect(debug()).toEqual([
      "memory:one: 0x05 attempt 1: memory:one: no reply to 0x05 within 1000 ms",
      "memory:one: 0x05 attempt 2: memory:one: no reply to 0x05 within 2000 ms",
    ]);
  });

  it("a garbled reply: BAD_FRAMES counting the bad frames of the last attempt, with their hex at debug level", async () => {
    const { bms, client, debug } = setup({ attempts: 1 });
    bms.responder = () => [Uint8Array.of(0xdd, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x77)];
    const error = await failure(client.readBasicInfo());
    expect(error).toMatchObject({
      code: "BAD_FRAMES",
      message: "memory:one: only bad frames (1) in reply to 0x03 within 1000 ms",
      context: { address: "memory:one", register: 3, timeoutMs: 1000, badFrames: 1 },
    });
    expect(debug()).toEqual(["memory:one: dropped checksum bytes DD 03 00 01 00 00 00 77"]);
    // bad frames of an earlier request do not make a later silence garbled
    bms.responder = () => undefined;
    expect(await failure(client.readCellVoltages())).toMatchObject({ code: "TIMEOUT" });
  });

  it("an error reply: BMS_STATUS naming the status; retried at once, without a longer wait", async () => {
    const { bms, client } = setup({ attempts: 4 });
    const sentAt: number[] = [];
    const start = Date.now();
    let calls = 0;
    bms.responder = (request) => {
      sentAt.push(Date.now() - start);
      calls++;
      if (calls === 1) return [encodeResponse(request.register, 0x83, new Uint8Array(0))];
      return undefined; // then silent: the waits start from the first timeout, not a grown one
    };
    const error = await failure(client.readCellVoltages());
    expect(sentAt).toEqual([0, 0, 1000, 3000]);
    expect(error).toMatchObject({ code: "TIMEOUT" });
    bms.responder = (request) => [encodeResponse(request.register, 0xe1, new Uint8Array(0))];
    const refused = await failure(client.writeMosfetControl(0));
    expect(refused).toMatchObject({
      code: "BMS_STATUS",
      message: "memory:one: 0xE1 refused: unknown status 0xe1",
      context: { address: "memory:one", register: 0xe1, status: 0xe1, statusName: "unknown_status" },
    });
  });

  it("a reply that does not decode: DECODE_INVALID with the register and the frame's hex, not retried", async () => {
    const { bms, client } = setup();
    bms.responder = (request) => [encodeResponse(request.register, 0, Uint8Array.of(1, 2, 3))];
    const error = await failure(client.readCellVoltages());
    expect(error).toMatchObject({
      code: "DECODE_INVALID",
      message: "memory:one: 0x04 data is 3 bytes; cells are 2 bytes each",
      context: { address: "memory:one", register: 4, frame: "DD 04 00 03 01 02 03 FF F7 77" },
    });
    expect(bms.requests).toHaveLength(1);
  });

  it("a link that refuses a write: its own error as it is, anything else as DISCONNECTED; neither is retried", async () => {
    let thrown: unknown = new Error("EPIPE");
    const link = new MemoryLink("memory:broken", {
      onWrite: () => {
        throw thrown;
      },
    });
    const client = new BmsClient(link, { clock: systemClock, logger: createMemoryLogger() });
    expect(await failure(client.readBasicInfo())).toMatchObject({
      code: "DISCONNECTED",
      message: "Error: EPIPE",
    });
    thrown = new BmsError("BUSY", "memory:broken: adapter busy");
    expect(await failure(client.readBasicInfo())).toBe(thrown);
    expect(link.writes).toHaveLength(2);
  });

  it("a link we close: DISCONNECTED 'link closed' for the pending read and every later one, without writing", async () => {
    const { bms, link, client } = setup();
    bms.responder = () => undefined;
    const pending = failure(client.readBasicInfo(), 10);
    await vi.advanceTimersByTimeAsync(1);
    await link.close();
    const error = await pending;
    expect(error).toMatchObject({
      code: "DISCONNECTED",
      message: "memory:one: link closed",
      context: { address: "memory:one" },
    });
    expect(await failure(client.readModel(), 0)).toBe(error);
    expect(bms.requests).toHaveLength(1);
  });

  it("a link the device drops: the link's own error for the pending read and every later one", async () => {
    const { bms, link, client } = setup();
    bms.responder = () => undefined;
    const pending = failure(client.readBasicInfo(), 10);
    await vi.advanceTimersByTimeAsync(1);
    const gone = new BmsError("DISCONNECTED", "memory:one: GATT server disconnected", {
      address: "memory:one",
    });
    link.drop(gone);
    expect(await pending).toBe(gone);
    expect(await failure(client.readModel(), 0)).toBe(gone);
  });

  it("disposed: CANCELED for the pending read and later ones; the first cause stays the answer", async () => {
    const { bms, link, client } = setup();
    bms.responder = () => undefined;
    const pending = failure(client.readBasicInfo(), 10);
    await vi.advanceTimersByTimeAsync(1);
    client.dispose();
    const error = await pending;
    expect(error).toMatchObject({
      code: "CANCELED",
      message: "memory:one: client disposed",
      context: { address: "memory:one" },
    });
    // the link is no longer listened to: neither its data nor its end
    link.emitData(healthyReply({ register: 0x05 } as never)?.[0] ?? new Uint8Array());
    expect(client.dropped.unexpected).toBe(0);
    link.drop();
    expect(await failure(client.readModel(), 0)).toBe(error);
    const dropped = setup();
    dropped.link.drop();
    dropped.client.dispose();
    expect(await failure(dropped.client.readModel(), 0)).toMatchObject({ code: "DISCONNECTED" });
  });

  it("a reply nobody asked for is dropped with its hex at debug level", async () => {
    const { link, client, debug } = setup();
    link.emitData(healthyReply({ register: 0x05 } as never)?.[0] ?? new Uint8Array());
    expect(client.dropped.unexpected).toBe(1);
    expect(debug()[0]).toMatch(/^memory:one: dropped unexpected reply DD 05 00 0F( [0-9A-F]{2})+ 77$/);
  });

  it("keeps the queue going after a failed request", async () => {
    const { bms, client } = setup({ attempts: 1 });
    let calls = 0;
    bms.responder = (request) => (++calls === 1 ? undefined : healthyReply(request));
    const first = failure(client.readBasicInfo(), 1000);
    const second = client.readCellVoltages();
    expect(await first).toMatchObject({ code: "TIMEOUT" });
    expect((await second).cellsMv).toHaveLength(4);
  });
});

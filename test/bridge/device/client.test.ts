import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BmsClient } from "../../../src/bridge/device/client.js";
import { isBmsError } from "../../../src/errors.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { encodeReadRequest, encodeResponse, encodeWriteRequest } from "../../../src/protocol/frame.js";
import { encodeCellVoltages } from "../../../src/protocol/registers/cell-voltages.js";
import { DEFAULT_MODEL, healthyReply, ScriptedBms } from "../../../src/testing/index.js";
import { systemClock } from "../../../src/util/clock.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const ctx = () => ({ clock: systemClock, logger: createMemoryLogger() });

function setup(options = {}) {
  const bms = new ScriptedBms();
  const link = bms.connect();
  const client = new BmsClient(link, ctx(), {
    timeoutMs: 1000,
    attempts: 3,
    timeoutGrowth: 2,
    maxTimeoutMs: 3000,
    ...options,
  });
  return { bms, link, client };
}

/** A client whose battery answers only when the test releases the next held reply. */
function heldReplies(options: { timeoutMs: number; attempts?: number }) {
  const held: Array<() => void> = [];
  const bms = new ScriptedBms("memory:held", (request) => {
    held.push(() => link.emitData(healthyReply(request)?.[0] ?? new Uint8Array()));
    return undefined;
  });
  const link = bms.connect();
  return { bms, held, client: new BmsClient(link, ctx(), options) };
}

describe("BmsClient", () => {
  it("reads basic info, cells and the model with the documented read frames", async () => {
    const { bms, link, client } = setup();
    const basic = await client.readBasicInfo();
    const cells = await client.readCellVoltages();
    const model = await client.readModel();
    expect(basic.voltageV).toBe(13.45);
    expect(basic.socPct).toBe(71);
    expect(cells.cellsMv).toEqual([3361, 3362, 3360, 3363]);
    expect(model).toBe(DEFAULT_MODEL);
    // docs/protocol.md §2 worked examples
    expect(link.writes.map((w) => Buffer.from(w).toString("hex"))).toEqual([
      "dda50300fffd77",
      "dda50400fffc77",
      "dda50500fffb77",
    ]);
    expect(bms.requests.every((r) => r.op === "read")).toBe(true);
  });

  it("keeps one request in flight: a second read is sent only after the first reply", async () => {
    const { bms, held, client: slow } = heldReplies({ timeoutMs: 1000 });
    const first = slow.readBasicInfo();
    const second = slow.readCellVoltages();
    await vi.advanceTimersByTimeAsync(10);
    expect(bms.requests.map((r) => r.register)).toEqual([0x03]);
    held.shift()?.();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    expect(bms.requests.map((r) => r.register)).toEqual([0x03, 0x04]);
    held.shift()?.();
    expect((await second).cellsMv).toHaveLength(4);
  });

  it("forgets a finished request's timeout: it never fires into the next request", async () => {
    const { held, client } = heldReplies({ timeoutMs: 1000, attempts: 1 });
    const first = client.readBasicInfo();
    await vi.advanceTimersByTimeAsync(10);
    held.shift()?.(); // answered at 10 ms: its 1000 ms timeout must not live on
    await first;
    await vi.advanceTimersByTimeAsync(590);
    const second = client.readCellVoltages(); // sent at 600 ms, times out at 1600 ms
    await vi.advanceTimersByTimeAsync(500); // 1100 ms: past the first request's timeout
    held.shift()?.();
    expect((await second).cellsMv).toHaveLength(4);
    expect(client.timeouts).toBe(0);
    expect(client.dropped.unexpected).toBe(0);
  });

  it("fails with DECODE_INVALID on a reply whose checksum is right but whose data is no 0x03 answer", async () => {
    const { bms, client } = setup();
    // a well-formed frame (valid checksum) carrying 5 bytes where 0x03 needs at least 23
    bms.responder = (request) => [encodeResponse(request.register, 0, Uint8Array.of(1, 2, 3, 4, 5))];
    const error = await client.readBasicInfo().catch((e: unknown) => e);
    expect(isBmsError(error, "DECODE_INVALID")).toBe(true);
    expect((error as Error).message).toContain("memory:scripted");
    expect(client.dropped.invalid).toBe(0); // the frame itself was fine: decoding refused it
  });

  it("reassembles a reply split into 20-byte BLE notifications and one holding only 77", async () => {
    const { bms, client } = setup();
    bms.responder = (request) => {
      const frame = healthyReply(request)?.[0] ?? new Uint8Array();
      return [frame.subarray(0, 20), frame.subarray(20, frame.length - 1), frame.subarray(frame.length - 1)];
    };
    expect((await client.readBasicInfo()).cycles).toBe(27);
  });

  it("retries a lost reply with a growing, bounded timeout, then fails with TIMEOUT", async () => {
    const { bms, client } = setup();
    const sentAt: number[] = [];
    const started = Date.now();
    bms.responder = () => {
      sentAt.push(Date.now() - started);
      return undefined;
    };
    const result = client.readBasicInfo().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await result;
    expect(isBmsError(error, "TIMEOUT")).toBe(true);
    // attempt 1 waits 1000 ms, attempt 2 waits 2000 ms, attempt 3 is capped at 3000 ms
    expect(sentAt).toEqual([0, 1000, 3000]);
    expect((error as Error).message).toContain("within 3000 ms");
    expect(client.timeouts).toBe(3);
  });

  it("tells a garbled reply (BAD_FRAMES) from a silent battery (TIMEOUT)", async () => {
    const { bms, client } = setup();
    bms.responder = (request) => {
      const reply = healthyReply(request)?.[0];
      if (!reply) return undefined;
      const corrupted = Uint8Array.from(reply);
      corrupted[corrupted.length - 2] = (corrupted[corrupted.length - 2] as number) ^ 0xff; // bad checksum
      return [corrupted];
    };
    const result = client.readBasicInfo().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await result;
    expect(isBmsError(error, "BAD_FRAMES")).toBe(true);
    expect((error as Error).message).toMatch(/only bad frames \(1\) in reply to 0x03/);
    expect(client.dropped.invalid).toBe(3); // one per attempt: retried like a lost reply
  });

  it("succeeds when a retry is answered", async () => {
    const { bms, client } = setup();
    let calls = 0;
    bms.responder = (request) => (++calls === 1 ? undefined : healthyReply(request));
    const result = client.readBasicInfo();
    await vi.advanceTimersByTimeAsync(1000);
    expect((await result).socPct).toBe(71);
    expect(calls).toBe(2);
  });

  it("drops our echoed request, another register's reply and module frames, and uses the right one", async () => {
    const { bms, client } = setup();
    bms.responder = (request) => [
      encodeReadRequest(request.register), // RS485 echo
      encodeResponse(0x04, 0, encodeCellVoltages({ cellsMv: [1, 2, 3, 4] })), // wrong register
      Uint8Array.from([0xff, 0xaa, 0x15, 0x00, 0x15]), // BLE-module frame
      Uint8Array.from([0x12, 0x34]), // junk
      ...(healthyReply(request) ?? []),
    ];
    expect((await client.readBasicInfo()).voltageV).toBe(13.45);
    expect(client.dropped).toEqual({ echo: 1, unexpected: 1, module: 1, invalid: 1 });
  });

  it("drops a frame with a bad checksum and keeps waiting for a good one", async () => {
    const { bms, client } = setup();
    bms.responder = (request) => {
      const good = healthyReply(request)?.[0] ?? new Uint8Array();
      const bad = Uint8Array.from(good);
      bad[6] = (bad[6] ?? 0) ^ 0x01;
      return [bad, good];
    };
    expect((await client.readBasicInfo()).voltageV).toBe(13.45);
    expect(client.dropped.invalid).toBeGreaterThan(0);
  });

  it("never uses a late reply to an earlier register or a duplicate", async () => {
    const { bms, client } = setup();
    let first = true;
    bms.responder = (request) => {
      if (request.register === 0x03 && first) {
        first = false;
        return undefined; // times out; its reply comes late, below
      }
      if (request.register === 0x04) {
        const late03 = healthyReply({ ...request, register: 0x03 }) ?? [];
        return [...late03, ...(healthyReply(request) ?? []), ...(healthyReply(request) ?? [])];
      }
      return healthyReply(request);
    };
    const basic = client.readBasicInfo().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000); // first attempt times out, retry answered
    expect(await basic).toMatchObject({ voltageV: 13.45 });
    const cells = await client.readCellVoltages();
    expect(cells.cellsMv).toEqual([3361, 3362, 3360, 3363]);
    await vi.advanceTimersByTimeAsync(0);
    // the late 0x03 while 0x04 was pending, and the duplicate 0x04 after it was answered
    expect(client.dropped.unexpected).toBe(2);
  });

  it("retries an error reply and uses the good reply that follows", async () => {
    const { bms, client } = setup();
    let calls = 0;
    bms.responder = (request) =>
      ++calls === 1 ? [encodeResponse(request.register, 0x81, new Uint8Array(0))] : healthyReply(request);
    expect((await client.readBasicInfo()).socPct).toBe(71);
    expect(calls).toBe(2);
  });

  it("turns an error reply into BMS_STATUS naming the status once every attempt got one", async () => {
    const { bms, client } = setup();
    bms.responder = (request) => [encodeResponse(request.register, 0x80, new Uint8Array(0))];
    const error = await client.readModel().catch((e: unknown) => e);
    expect(isBmsError(error, "BMS_STATUS")).toBe(true);
    expect((error as { context: { status: number } }).context.status).toBe(0x80);
    expect((error as Error).message).toContain("command or register does not exist");
    expect(bms.requests).toHaveLength(3);
  });

  it("fails a pending read with DISCONNECTED when the link drops, and later reads at once", async () => {
    const { bms, link, client } = setup();
    bms.responder = () => undefined;
    const result = client.readBasicInfo().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1);
    link.drop();
    expect(isBmsError(await result, "DISCONNECTED")).toBe(true);
    expect(isBmsError(await client.readCellVoltages().catch((e: unknown) => e), "DISCONNECTED")).toBe(true);
  });

  it("builds exactly one kind of write itself: 0xE1 MOSFET control, byte for byte as docs/protocol.md §7", async () => {
    // docs/protocol.md §7: the BMS acknowledges with `DD E1 00 00 00 00 77`
    const ack = (request: { register: number }) =>
      request.register === 0xe1
        ? [encodeResponse(0xe1, 0, new Uint8Array(0))]
        : healthyReply(request as never);
    const bms = new ScriptedBms("memory:scripted", ack);
    const link = bms.connect();
    const client = new BmsClient(link, ctx(), { timeoutMs: 1000, attempts: 1 });
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(client));
    expect(methods.filter((m) => /write|set|control/i.test(m))).toEqual(["writeMosfetControl"]);
    const acked = client.writeMosfetControl(0x01);
    await vi.advanceTimersByTimeAsync(0);
    // docs/protocol.md §7: `00 01` → `DD 5A E1 02 00 01 FF 1C 77` (charge off)
    expect([...(link.writes.at(-1) ?? [])]).toEqual([0xdd, 0x5a, 0xe1, 0x02, 0x00, 0x01, 0xff, 0x1c, 0x77]);
    expect((await acked).register).toBe(0xe1);
    await client.writeMosfetControl(0x03);
    expect([...(link.writes.at(-1) ?? [])]).toEqual([...encodeWriteRequest(0xe1, Uint8Array.of(0, 3))]);
    expect(link.writes.at(-1)?.slice(-3)).toEqual(Uint8Array.of(0xff, 0x1a, 0x77));
    client.dispose();
  });

  it("passes on someone else's request with exchange(): the BMS's error reply is the answer, not retried", async () => {
    const { bms, link, client } = setup();
    bms.responder = (request) =>
      request.register === 0x10 ? [encodeResponse(0x10, 0x81, new Uint8Array(0))] : healthyReply(request);
    const refused = await client.exchange({ op: "read", register: 0x10, data: new Uint8Array(0) });
    expect(refused).toMatchObject({ kind: "error_reply", register: 0x10, status: 0x81 });
    expect(bms.requests).toHaveLength(1);
    const model = await client.exchange({ op: "read", register: 0x05, data: new Uint8Array(0) });
    expect(model.kind).toBe("response");
    expect([...(link.writes.at(-1) ?? [])]).toEqual([...encodeReadRequest(0x05)]);
    bms.responder = () => undefined; // a lost reply is retried as for every request
    const lost = client
      .exchange({ op: "write", register: 0x00, data: Uint8Array.of(0x56, 0x78) })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(isBmsError(await lost, "TIMEOUT")).toBe(true);
    expect(link.writes.slice(-3).map((w) => [...w])).toEqual(
      Array(3).fill([...encodeWriteRequest(0x00, Uint8Array.of(0x56, 0x78))]),
    );
  });
});

import { describe, expect, it } from "vitest";
import { type Answerer, MirrorCentral } from "../../../../src/bridge/features/mirror/mirror-central.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { encodeReadRequest, encodeResponse } from "../../../../src/protocol/frame.js";
import type { RequestFrame } from "../../../../src/protocol/types.js";
import { ManualClock } from "../../../../src/testing/index.js";

const LIMITS = { burst: 3, perSecond: 2, queueLimit: 2, chunkBytes: 20 };

/** An answerer the test releases by hand, so requests pile up as behind a slow battery. */
function heldAnswerer() {
  const asked: RequestFrame[] = [];
  const waiting: Array<() => void> = [];
  const answerer: Answerer = {
    answer: (request) =>
      new Promise((resolve) => {
        asked.push(request);
        waiting.push(() => resolve(encodeResponse(request.register, 0, new Uint8Array(30))));
      }),
  };
  const releaseAll = async () => {
    while (waiting.length > 0) {
      waiting.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { answerer, asked, releaseAll };
}

function central(answerer: Answerer, clock = new ManualClock()) {
  const logger = createMemoryLogger("info");
  const port = new MirrorCentral("11:22:33:44:55:66", answerer, { clock, logger }, LIMITS);
  const sent: Uint8Array[] = [];
  port.onSend((chunk) => sent.push(chunk));
  return { port, sent, logger, clock };
}

describe("one phone app on a mirror", () => {
  it("answers requests split across writes, in notifications of at most 20 bytes", async () => {
    const held = heldAnswerer();
    const c = central(held.answerer);
    const bytes = encodeReadRequest(0x03);
    c.port.receive(bytes.subarray(0, 3));
    c.port.receive(bytes.subarray(3));
    await held.releaseAll();
    expect(held.asked.map((r) => r.register)).toEqual([0x03]);
    expect(c.sent.map((chunk) => chunk.length)).toEqual([20, 17]); // 37-byte reply
  });

  it("drops a flood beyond its queue and rate, answers one at a time, and logs it once", async () => {
    const held = heldAnswerer();
    const c = central(held.answerer);
    for (let i = 0; i < 50; i++) c.port.receive(encodeReadRequest(0x03));
    // one being answered, two waiting; the bucket of three is empty too
    expect(held.asked).toHaveLength(1);
    await held.releaseAll();
    expect(held.asked).toHaveLength(3);
    expect(c.port.dropped).toBe(47);
    expect(c.logger.records.filter((r) => r.message.includes("asks faster"))).toHaveLength(1);
    // the bucket refills at two a second
    c.clock.tick(1000);
    for (let i = 0; i < 5; i++) c.port.receive(encodeReadRequest(0x04));
    await held.releaseAll();
    expect(held.asked.slice(3).map((r) => r.register)).toEqual([0x04, 0x04]);
  });

  it("ignores bytes that are no request, and forgets everything when the central leaves mid-frame", async () => {
    const held = heldAnswerer();
    const c = central(held.answerer);
    c.port.receive(Uint8Array.of(0x01, 0x02, 0xdd, 0x03, 0x00, 0x1b, 0x77)); // junk and a reply, not a request
    c.port.receive(encodeReadRequest(0x03));
    c.port.receive(encodeReadRequest(0x04));
    c.port.receive(encodeReadRequest(0x05).subarray(0, 4)); // half a frame, then gone
    c.port.close();
    await held.releaseAll();
    expect(held.asked.map((r) => r.register)).toEqual([0x03]); // the one in progress; the queue was dropped
    expect(c.sent).toEqual([]); // no answer to a central that left
    c.port.receive(encodeReadRequest(0x03));
    expect(held.asked).toHaveLength(1);
  });
});

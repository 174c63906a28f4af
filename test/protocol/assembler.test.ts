import { describe, expect, it } from "vitest";
import { FrameAssembler } from "../../src/protocol/assembler.js";
import { encodeResponse } from "../../src/protocol/frame.js";
import type { AssemblerItem } from "../../src/protocol/types.js";
import { hex } from "../support/hex.js";

/** Feeds `stream` in chunks of `size` bytes and closes the stream. */
function feed(stream: Uint8Array, size: number, assembler = new FrameAssembler()): AssemblerItem[] {
  const items: AssemblerItem[] = [];
  for (let at = 0; at < stream.length; at += size)
    items.push(...assembler.push(stream.subarray(at, at + size)));
  items.push(...assembler.end());
  return items;
}

function summary(items: AssemblerItem[]): string[] {
  return items.map((item) => {
    const tag = item.kind === "invalid" ? `invalid:${item.error}` : item.kind;
    return `${tag} ${Array.from(item.bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => Array.from(part)));
}

const READ_BASIC = hex("DD A5 03 00 FF FD 77");
const ACK = hex("DD E1 00 00 00 00 77");
const ERROR_REPLY = hex("DD 24 81 00 FF 7F 77");
// one cell at 3.447 V (0x0D77): sum 02+0D+77 = 0x86, checksum 0x10000-0x86 = 0xFF7A
const CELL_0D77 = hex("DD 04 00 02 0D 77 FF 7A 77");
// data 0D 7A: sum 02+0D+7A = 0x89, checksum 0xFF77 whose low byte is 0x77
const CHECKSUM_77 = hex("DD 04 00 02 0D 7A FF 77 77");
const MODULE = hex("FF AA 17 00 17");

describe("FrameAssembler", () => {
  it("classifies requests, responses, acks, error replies and module frames", () => {
    const items = feed(concat(READ_BASIC, CELL_0D77, ACK, ERROR_REPLY, MODULE), 64);
    expect(items.map((item) => item.kind)).toEqual(["request", "response", "ack", "error_reply", "module"]);
    expect(items[0]).toMatchObject({ op: "read", register: 0x03 });
    expect(items[1]).toMatchObject({ register: 0x04, status: 0, data: hex("0D 77") });
    expect(items[2]).toMatchObject({ register: 0xe1, status: 0 });
    expect(items[3]).toMatchObject({ register: 0x24, status: 0x81 });
    expect(items[4]).toMatchObject({ cmd: 0x17, data: new Uint8Array() });
  });

  it("recognises write requests", () => {
    const [item] = feed(hex("DD 5A E1 02 00 01 FF 1C 77"), 3);
    expect(item).toMatchObject({ kind: "request", op: "write", register: 0xe1, data: hex("00 01") });
  });

  it("cuts frames by their length byte even when 0x77 appears in the data and in the checksum", () => {
    for (let size = 1; size <= 18; size++) {
      expect(summary(feed(concat(CELL_0D77, CHECKSUM_77), size))).toEqual([
        "response dd0400020d77ff7a77",
        "response dd0400020d7aff7777",
      ]);
    }
  });

  it("finds two frames in one chunk and reports junk before, between and after, in order", () => {
    const stream = concat(hex("FF 01"), ACK, hex("42"), READ_BASIC, hex("FF"));
    expect(summary(feed(stream, stream.length))).toEqual([
      "invalid:junk ff01",
      "ack dde10000000077",
      "invalid:junk 42",
      "request dda50300fffd77",
      "invalid:junk ff",
    ]);
  });

  it("is not fooled by a continuation chunk that starts with DD 0D 00", () => {
    // 0x04 with cells 0x0DDD (3549 mV) and 0x0D00: frame bytes DD 04 00 04 0D DD 0D 00 chk 77.
    // sum = 04 + 0D + DD + 0D + 00 = 0xFB -> checksum 0xFF05
    const frame = hex("DD 04 00 04 0D DD 0D 00 FF 05 77");
    const assembler = new FrameAssembler();
    expect(assembler.push(frame.subarray(0, 5))).toEqual([]);
    // this chunk looks like the start of a response to register 0x0D with status 0
    const items = assembler.push(frame.subarray(5));
    expect(summary(items)).toEqual(["response dd0400040ddd0d00ff0577"]);
  });

  it("resyncs after a false DD and still finds the real frame hidden inside the rejected bytes", () => {
    // the false candidate DD 04 00 01 claims 1 data byte, so it spans 8 bytes, reaching into the real
    // frame, and its 8th byte (00) is not 77
    const stream = concat(hex("DD 04 00 01 AA"), CELL_0D77);
    for (const size of [1, 5, 7, 20]) {
      expect(summary(feed(stream, size))).toEqual([
        "invalid:terminator dd040001aa",
        "response dd0400020d77ff7a77",
      ]);
    }
  });

  it("rejects a frame with a bad checksum and keeps going", () => {
    const corrupt = hex("DD 04 00 02 0D 78 FF 7A 77");
    expect(summary(feed(concat(corrupt, ACK), 4))).toEqual([
      "invalid:checksum dd0400020d78ff7a77",
      "ack dde10000000077",
    ]);
  });

  it("rejects a bad module checksum", () => {
    expect(summary(feed(concat(hex("FF AA 17 00 18"), MODULE), 2))).toEqual([
      "invalid:checksum ffaa170018",
      "module ffaa170017",
    ]);
  });

  it("rejects a bad module frame as its own length, whatever the DD length limit, keeping what follows", () => {
    const assembler = new FrameAssembler({ maxDataLength: 2 });
    const badModule = hex("FF AA 07 03 58 59 5A 16");
    const items = [...assembler.push(concat(badModule, hex("01 02"), ACK)), ...assembler.end()];
    expect(summary(items)).toEqual([
      "invalid:checksum ffaa070358595a16",
      "invalid:junk 0102",
      "ack dde10000000077",
    ]);
  });

  it("does not let a junk DD with a large length hold back a complete frame behind it", () => {
    // the false candidate reads its length from the request's A5 byte (165 bytes): without the look-ahead
    // the request would wait for 172 bytes
    const assembler = new FrameAssembler();
    const items = assembler.push(concat(hex("DD 10"), READ_BASIC));
    expect(summary(items)).toEqual(["invalid:truncated dd10", "request dda50300fffd77"]);
    expect(assembler.pendingLength).toBe(0);
  });

  it("does not cut a real frame at a module frame that happens to sit inside its data", () => {
    // 0x03 data: voltage 0x0536, current 0xFFAA (-0.86 A), remaining 0x6D00, nominal 0x6D60, ...:
    // frame bytes 6..10 read FF AA 6D 00 6D, a well-formed module frame (sum8 0x6D + 0x00 = 0x6D)
    const data = new Uint8Array(23);
    data.set(hex("05 36 FF AA 6D 00 6D 60"));
    const frame = encodeResponse(0x03, 0x00, data);
    expect(frame.subarray(6, 11)).toEqual(hex("FF AA 6D 00 6D"));
    for (const size of [1, 5, 11, 20]) {
      expect(summary(feed(frame, size)), `chunk size ${size}`).toEqual([
        `response ${Array.from(frame, (b) => b.toString(16).padStart(2, "0")).join("")}`,
      ]);
    }
  });

  it("lets a module frame wait behind a false DD until the stream says more", () => {
    // DD FF AA 15 claims 0x15 data bytes; only a complete DD frame may prove it false early
    const assembler = new FrameAssembler();
    expect(assembler.push(hex("DD FF AA 15 01 00 16"))).toEqual([]);
    expect(summary(assembler.end())).toEqual(["invalid:truncated dd", "module ffaa15010016"]);
  });

  it("drops only the false start when a later frame proves it false, keeping frames in between", () => {
    // DD 77 FF AA claims 0xAA data bytes; the request proves it false, the module frame survives
    const stream = concat(hex("DD 77"), hex("FF AA 18 01 01 1A"), READ_BASIC);
    for (const size of [1, 3, stream.length]) {
      expect(summary(feed(stream, size)), `chunk size ${size}`).toEqual([
        "invalid:truncated dd77",
        "module ffaa1801011a",
        "request dda50300fffd77",
      ]);
    }
  });

  it("reports an incomplete frame at the end of the stream as truncated", () => {
    expect(summary(feed(hex("DD 03 00 1B 05 34"), 2))).toEqual(["invalid:truncated dd03001b0534"]);
    expect(summary(feed(hex("FF AA 17"), 2))).toEqual(["invalid:truncated ffaa17"]);
    expect(summary(feed(hex("DD"), 1))).toEqual(["invalid:truncated dd"]);
  });

  it("rescans the bytes of a truncated candidate at the end of the stream", () => {
    // an unfinished false candidate hides a frame that is itself unfinished... and then an ack
    const stream = concat(hex("DD 01 02 F0 AA"), ACK);
    const items = feed(stream, stream.length);
    expect(summary(items)).toEqual(["invalid:truncated dd0102f0aa", "ack dde10000000077"]);
    expect(summary(feed(hex("DD 00 DD 01"), 4))).toEqual([
      "invalid:truncated dd00",
      "invalid:truncated dd01",
    ]);
  });

  it("accepts a full 255-byte data field, the most the length byte can say, in any chunking", () => {
    const data = Uint8Array.from({ length: 255 }, (_, i) => (i * 7) & 0xff);
    const frame = encodeResponse(0x04, 0, data);
    expect(frame).toHaveLength(255 + 7);
    for (const size of [1, 20, frame.length]) {
      const items = feed(frame, size);
      expect(items.map((item) => item.kind)).toEqual(["response"]);
      expect(items[0]?.kind === "response" && items[0].data).toEqual(data);
    }
  });

  it("rejects a data field of exactly maxDataLength with a bad checksum as one run, then keeps going", () => {
    const assembler = new FrameAssembler({ maxDataLength: 2 });
    const corrupt = hex("DD 04 00 02 0D 78 FF 7A 77");
    expect(summary([...assembler.push(concat(corrupt, ACK)), ...assembler.end()])).toEqual([
      "invalid:checksum dd0400020d78ff7a77",
      "ack dde10000000077",
    ]);
  });

  it("accepts a data field of exactly maxDataLength and rejects one byte more", () => {
    const assembler = new FrameAssembler({ maxDataLength: 2 });
    expect(summary(assembler.push(CELL_0D77))).toEqual(["response dd0400020d77ff7a77"]);
    const three = encodeResponse(0x04, 0, hex("0D 77 00"));
    expect(assembler.push(three)[0]).toMatchObject({ kind: "invalid", error: "length" });
  });

  it("rejects a length above maxDataLength at once", () => {
    const assembler = new FrameAssembler({ maxDataLength: 64 });
    const items = assembler.push(concat(hex("DD 03 00 FE"), ACK));
    expect(summary(items)).toEqual(["invalid:length dd", "invalid:junk 0300fe", "ack dde10000000077"]);
  });

  it("holds a trailing FF until it knows whether AA follows", () => {
    const assembler = new FrameAssembler();
    expect(assembler.push(hex("FF"))).toEqual([]);
    expect(summary(assembler.push(hex("AA 17 00 17")))).toEqual(["module ffaa170017"]);
    expect(assembler.push(hex("FF"))).toEqual([]);
    expect(summary(assembler.push(hex("01")))).toEqual(["invalid:junk ff01"]);
    expect(summary(feed(hex("FF"), 1))).toEqual(["invalid:junk ff"]);
  });

  it("forgets pending bytes on reset", () => {
    const assembler = new FrameAssembler();
    assembler.push(hex("DD 03 00 1B 05"));
    expect(assembler.pendingLength).toBe(5);
    assembler.reset();
    expect(assembler.pendingLength).toBe(0);
    expect(summary(assembler.push(ACK))).toEqual(["ack dde10000000077"]);
    expect(assembler.end()).toEqual([]);
  });

  it("keeps at most one frame's worth of bytes pending while junk streams through", () => {
    const assembler = new FrameAssembler();
    for (let i = 0; i < 1000; i++) assembler.push(Uint8Array.of(i % 2 ? 0x11 : 0x22));
    expect(assembler.pendingLength).toBe(0);
    assembler.push(hex("DD 03 00 FF"));
    for (let i = 0; i < 300; i++) {
      assembler.push(Uint8Array.of(0x01));
      expect(assembler.pendingLength).toBeLessThanOrEqual(262);
    }
  });

  it("hands out frames that stay intact when the caller reuses its chunk buffer", () => {
    const assembler = new FrameAssembler();
    const chunk = new Uint8Array(4);
    const items: AssemblerItem[] = [];
    // one reusable buffer, overwritten for every chunk, as a serial driver may do
    const stream = concat(CELL_0D77, ACK);
    for (let at = 0; at < stream.length; at += 4) {
      chunk.fill(0);
      const part = stream.subarray(at, at + 4);
      chunk.set(part);
      items.push(...assembler.push(chunk.subarray(0, part.length)));
    }
    chunk.fill(0xdd);
    expect(summary(items)).toEqual(["response dd0400020d77ff7a77", "ack dde10000000077"]);
  });

  it("reports a frame split in 1-byte chunks behind a long false start once, when its proof completes", () => {
    // DD with length 0x30 claims 55 bytes; the real ack after it proves it false only at its last byte
    const falseStart = hex("DD 03 00 30 01 02");
    const items = feed(concat(falseStart, ACK), 1);
    expect(summary(items)).toEqual(["invalid:truncated dd0300300102", "ack dde10000000077"]);
  });
});

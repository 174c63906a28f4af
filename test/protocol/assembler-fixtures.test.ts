/** Every real fixture frame through the assembler in every chunk size 1-41, with junk around it. */
import { describe, expect, it } from "vitest";
import { FrameAssembler } from "../../src/protocol/assembler.js";
import type { AssemblerItem } from "../../src/protocol/types.js";
import { fixtureBytes, loadFrameFixtures } from "../support/frame-fixtures.js";
import { hex } from "../support/hex.js";

const FRAMES = loadFrameFixtures().flatMap((file) => file.frames.map((frame) => fixtureBytes(frame.hex)));

/** Junk runs, some nasty: a terminator byte, a false DD start, a lone FF, DD 77. */
const JUNK = [hex("00 11 77"), hex("DD"), hex("FF"), hex("DD 77"), hex("42")];

function feed(stream: Uint8Array, size: number): AssemblerItem[] {
  const assembler = new FrameAssembler();
  const items: AssemblerItem[] = [];
  for (let at = 0; at < stream.length; at += size)
    items.push(...assembler.push(stream.subarray(at, at + size)));
  items.push(...assembler.end());
  return items;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => Array.from(part)));
}

describe("assembler on real frames", () => {
  it("finds every fixture frame, in order, in every chunk size from 1 to 41 with junk before, between and after", () => {
    JUNK.forEach((junk, j) => {
      const parts: Uint8Array[] = [junk];
      for (const frame of FRAMES) parts.push(frame, JUNK[(j + parts.length) % JUNK.length] as Uint8Array);
      const stream = concat(parts);
      for (let size = 1; size <= 41; size++) {
        const items = feed(stream, size);
        const frames = items.filter((item) => item.kind !== "invalid").map((item) => Array.from(item.bytes));
        expect(frames, `junk ${j}, chunk size ${size}`).toEqual(FRAMES.map((frame) => Array.from(frame)));
        // every input byte is reported exactly once, in stream order
        expect(concat(items.map((item) => item.bytes))).toEqual(stream);
      }
    });
  });

  it("never accepts junk as a frame: invalid items only hold the junk bytes", () => {
    const stream = concat([hex("00 11 77"), ...FRAMES, hex("42")]);
    const invalid = feed(stream, 7).filter((item) => item.kind === "invalid");
    expect(concat(invalid.map((item) => item.bytes))).toEqual(hex("00 11 77 42"));
  });
});

/**
 * Fuzzing harness for the codec, shared by the test suite and `npm run bench` (fuzz section).
 * Inputs are random buffers and mutations of real fixture frames; each goes through the assembler in
 * random chunks and every item through describeItem (all decoders). The checks re-derive validity
 * independently of src/protocol, so a bug there cannot hide itself.
 */
import { FrameAssembler } from "../../src/protocol/assembler.js";
import { describeItem } from "../../src/protocol/describe.js";
import type { AssemblerItem } from "../../src/protocol/types.js";
import { fixtureBytes, loadFrameFixtures } from "./frame-fixtures.js";

export interface FuzzResult {
  inputs: number;
  bytes: number;
  throws: number;
  /** Items accepted as frames although the independent check says they are not valid. */
  badAccepts: number;
  /** Inputs whose items did not add up to exactly the input bytes. */
  lostBytes: number;
  firstProblem?: string;
}

/** mulberry32: small, fast, seeded; failures reproduce from the seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fixtureSeeds(): Uint8Array[] {
  return loadFrameFixtures().flatMap((file) => [
    ...file.frames.map((frame) => fixtureBytes(frame.hex)),
    ...(file.streams ?? []).map((stream) => Buffer.concat(stream.chunks.map(fixtureBytes))),
  ]);
}

/** Bytes that matter to the framing, so random data hits the interesting paths often. */
const SPECIAL = [0xdd, 0x77, 0xff, 0xaa, 0xa5, 0x5a, 0x00, 0x03, 0x04];

export function makeInput(random: () => number, seeds: Uint8Array[]): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const byte = () => (random() < 0.3 ? (SPECIAL[int(SPECIAL.length)] as number) : int(256));
  const seed = () => Array.from(seeds[int(seeds.length)] as Uint8Array);
  let data = seed();
  switch (int(7)) {
    case 0: // random buffer
      data = Array.from({ length: int(300) }, byte);
      break;
    case 1: // bit flips
      for (let i = int(3) + 1; i > 0 && data.length; i--) {
        const at = int(data.length);
        data[at] = (data[at] as number) ^ (1 << int(8));
      }
      break;
    case 2: // truncation at either end
      data = random() < 0.5 ? data.slice(0, int(data.length + 1)) : data.slice(int(data.length + 1));
      break;
    case 3: {
      // duplication of a slice
      const from = int(data.length + 1);
      const slice = data.slice(from, from + int(40));
      data.splice(int(data.length + 1), 0, ...slice);
      break;
    }
    case 4: {
      // splice two seeds at random cut points
      const other = seed();
      data = [...data.slice(0, int(data.length + 1)), ...other.slice(int(other.length + 1))];
      break;
    }
    case 5: // random bytes inserted or overwritten
      for (let i = int(4) + 1; i > 0; i--) {
        if (random() < 0.5) data.splice(int(data.length + 1), 0, byte());
        else if (data.length) data[int(data.length)] = byte();
      }
      break;
    default: // several seeds back to back with junk between
      data = [...data, ...Array.from({ length: int(5) }, byte), ...seed()];
  }
  return Uint8Array.from(data);
}

/** Independent validity check of an accepted item (no src/protocol code involved). */
export function acceptedItemProblem(item: AssemblerItem): string | undefined {
  const b = item.bytes;
  if (item.kind === "invalid") return undefined;
  if (item.kind === "module") {
    const length = b[3] ?? -1;
    let sum = 0;
    for (let i = 2; i < b.length - 1; i++) sum += b[i] as number;
    if (b[0] !== 0xff || b[1] !== 0xaa || b.length !== length + 5) return "module framing";
    return (sum & 0xff) === b[b.length - 1] ? undefined : "module checksum";
  }
  const length = b[3] ?? -1;
  if (b[0] !== 0xdd || b.length !== length + 7 || b[b.length - 1] !== 0x77) return "DD framing";
  let sum = 0;
  for (let i = 2; i < 4 + length; i++) sum += b[i] as number;
  const expected = (0x10000 - (sum & 0xffff)) & 0xffff;
  const received = (b[4 + length] as number) * 256 + (b[5 + length] as number);
  if (expected !== received) return "DD checksum";
  const isRequest = b[1] === 0xa5 || b[1] === 0x5a;
  return isRequest === (item.kind === "request") ? undefined : "classification";
}

export function fuzz(count: number, seed = 1): FuzzResult {
  const random = seededRandom(seed);
  const seeds = fixtureSeeds();
  const result: FuzzResult = { inputs: 0, bytes: 0, throws: 0, badAccepts: 0, lostBytes: 0 };
  for (let n = 0; n < count; n++) {
    const input = makeInput(random, seeds);
    result.inputs++;
    result.bytes += input.length;
    try {
      const items = runChunked(input, random);
      let total = 0;
      let offset = 0;
      let intact = true;
      for (const item of items) {
        total += item.bytes.length;
        for (const value of item.bytes) if (input[offset++] !== value) intact = false;
        describeItem(item);
        const problem = acceptedItemProblem(item);
        if (problem) {
          result.badAccepts++;
          result.firstProblem ??= `${problem}: ${Buffer.from(item.bytes).toString("hex")}`;
        }
      }
      if (!intact || total !== input.length) {
        result.lostBytes++;
        result.firstProblem ??= `bytes lost or reordered: ${Buffer.from(input).toString("hex")}`;
      }
    } catch (error) {
      result.throws++;
      result.firstProblem ??= `threw ${String(error)} on ${Buffer.from(input).toString("hex")}`;
    }
  }
  return result;
}

function runChunked(input: Uint8Array, random: () => number): AssemblerItem[] {
  const assembler = new FrameAssembler();
  const items: AssemblerItem[] = [];
  for (let at = 0; at < input.length; ) {
    const size = 1 + Math.floor(random() * 41);
    items.push(...assembler.push(input.subarray(at, at + size)));
    at += size;
  }
  items.push(...assembler.end());
  return items;
}

/**
 * Golden tests on real captured frames (fixtures/frames). Expected values in the fixtures were worked
 * out by hand (docs/protocol.md); the arithmetic is written next to them.
 */
import { describe, expect, it } from "vitest";
import { FrameAssembler } from "../../src/protocol/assembler.js";
import { describeItem } from "../../src/protocol/describe.js";
import type { AssemblerItem } from "../../src/protocol/types.js";
import { fixtureBytes, loadFrameFixtures } from "../support/frame-fixtures.js";

const fixtures = loadFrameFixtures();

function run(chunks: Uint8Array[]): AssemblerItem[] {
  const assembler = new FrameAssembler();
  return [...chunks.flatMap((chunk) => assembler.push(chunk)), ...assembler.end()];
}

describe("real captured frames", () => {
  it("cover at least 20 frames from at least 4 devices", () => {
    const frames = fixtures.flatMap((file) => file.frames);
    expect(frames.length).toBeGreaterThanOrEqual(20);
    expect(new Set(fixtures.map((file) => file.device)).size).toBeGreaterThanOrEqual(4);
    for (const file of fixtures) expect(file.sources.length, file.file).toBeGreaterThan(0);
  });

  for (const file of fixtures) {
    describe(file.file, () => {
      for (const frame of file.frames) {
        it(`decodes "${frame.name}" to the hand-worked values`, () => {
          const items = run([fixtureBytes(frame.hex)]);
          expect(items).toHaveLength(1);
          const [item] = items as [AssemblerItem];
          expect(describeItem(item)).toMatchObject({ ...frame.expected, hex: frame.hex.toUpperCase() });
        });

        if (frame.chunks) {
          it(`reassembles "${frame.name}" from the chunks as captured`, () => {
            const chunks = frame.chunks?.map(fixtureBytes) ?? [];
            expect(Buffer.concat(chunks)).toEqual(Buffer.from(fixtureBytes(frame.hex)));
            const items = run(chunks);
            expect(items.map(describeItem)).toEqual([
              describeItem(run([fixtureBytes(frame.hex)])[0] as AssemblerItem),
            ]);
          });
        }
      }

      for (const stream of file.streams ?? []) {
        it(`reads the stream "${stream.name}" in order`, () => {
          const items = run(stream.chunks.map(fixtureBytes)).map(describeItem);
          expect(items).toHaveLength(stream.expected.length);
          stream.expected.forEach((expected, i) => {
            expect(items[i]).toMatchObject(expected);
          });
        });
      }
    });
  }
});

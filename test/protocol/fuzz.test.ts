/**
 * 100,000+ random and mutated inputs (bit flips, truncation, duplication, splicing of real frames)
 * through the assembler and every decoder: nothing throws, no invalid frame is accepted (re-checked
 * independently), and every input byte is reported exactly once.
 */
import { describe, expect, it } from "vitest";
import { acceptedItemProblem, fuzz } from "../support/fuzz.js";

describe("codec fuzzing", () => {
  // four seeds of 25,000 inputs each: 100,000 in all, in separate tests to stay well inside the timeout
  for (const seed of [1, 2, 3, 4]) {
    it(`survives 25,000 inputs from seed ${seed} without a throw or a bad accept`, () => {
      const result = fuzz(25_000, seed);
      expect(result.inputs).toBe(25_000);
      expect(result.firstProblem).toBeUndefined();
      expect(result).toMatchObject({ throws: 0, badAccepts: 0, lostBytes: 0 });
    });
  }

  it("has a checker that does notice a bad frame", () => {
    const bytes = Uint8Array.from([0xdd, 0x04, 0x00, 0x02, 0x0d, 0x77, 0xff, 0x7b, 0x77]);
    const data = bytes.subarray(4, 6);
    expect(acceptedItemProblem({ kind: "response", register: 4, status: 0, data, bytes })).toBe(
      "DD checksum",
    );
    expect(
      acceptedItemProblem({ kind: "request", op: "read", register: 4, data, bytes: bytes.with(7, 0x7a) }),
    ).toBe("classification");
    const module = Uint8Array.from([0xff, 0xaa, 0x17, 0x00, 0x18]);
    expect(acceptedItemProblem({ kind: "module", cmd: 0x17, data: new Uint8Array(), bytes: module })).toBe(
      "module checksum",
    );
  });
});

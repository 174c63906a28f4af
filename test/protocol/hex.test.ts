import { describe, expect, it } from "vitest";
import { parseHex } from "../../src/protocol/hex.js";

describe("parseHex", () => {
  it("accepts the ways captures are pasted: spaces, colons, commas, dots, 0x prefixes, no separators", () => {
    const expected = Uint8Array.of(0xdd, 0xa5, 0x03, 0x00);
    for (const text of [
      "DD A5 03 00",
      "dd:a5:03:00",
      "0xDD, 0xA5, 0x03, 0x00",
      "DD.A5.03.00",
      "dda50300",
      " dd a5\n03 00 ",
    ]) {
      expect(parseHex(text), text).toEqual({ ok: true, value: expected });
    }
    expect(parseHex("")).toEqual({ ok: true, value: new Uint8Array() });
  });

  it("names the problem for an odd digit count or a non-hex character", () => {
    const odd = parseHex("DD A5 0");
    expect(!odd.ok && odd.error.message).toMatch(/odd number of hex digits \(5\)/);
    expect(!odd.ok && odd.error.code).toBe("USAGE");
    const bad = parseHex("DD A5 zz");
    expect(!bad.ok && bad.error.message).toMatch(/not a hex digit: "z"/);
  });

  it("shows the six digits either side of a bad character in a long paste", () => {
    const bad = parseHex("00 11 22 33 44 55 66 77 G8 99 AA BB CC DD EE FF");
    expect(!bad.ok && bad.error.message).toBe('not a hex digit: "G" (in "556677G899AA")');
    const early = parseHex("0G 11 22 33 44 55");
    expect(!early.ok && early.error.message).toBe('not a hex digit: "G" (in "0G11223")');
  });

  it("takes 0x only as a token's prefix, not inside it", () => {
    const inside = parseHex("DD0xA5");
    expect(!inside.ok && inside.error.message).toMatch(/not a hex digit: "x"/);
  });
});

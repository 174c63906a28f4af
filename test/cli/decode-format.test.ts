import { describe, expect, it } from "vitest";
import { decodeHexText, formatJsonLines, formatTable, registerName } from "../../src/cli/decode-format.js";
import { isBmsError } from "../../src/errors.js";

// SP04S034 V1.3 capture (fixtures/frames/jbd-sp04s034-v1.3-ble.json), then a lone junk byte
const BASIC =
  "DD 03 00 1D 05 36 FF CB 4F F2 53 34 00 01 30 9B 00 00 00 00 00 00 44 60 03 04 03 0B B7 0B BF 0B B9 F8 4C 77";

describe("decode formatting", () => {
  it("turns a pasted stream into items in stream order, junk included", () => {
    const items = decodeHexText(`${BASIC} 42 DD A5 03 00 FF FD 77`);
    expect(items.map((item) => item.kind)).toEqual(["response", "invalid", "request"]);
    expect(items[1]).toMatchObject({ error: "junk", hex: "42" });
  });

  it("refuses unusable input with a USAGE error naming the problem", () => {
    for (const [text, message] of [
      ["DD A", /odd number of hex digits/],
      ["DD QQ", /not a hex digit/],
      ["  \n", /no hex bytes/],
    ] as const) {
      try {
        decodeHexText(text);
        expect.unreachable();
      } catch (error) {
        expect(isBmsError(error, "USAGE")).toBe(true);
        expect((error as Error).message).toMatch(message);
      }
    }
  });

  it("writes one JSON object per line", () => {
    const lines = formatJsonLines(decodeHexText("DD E1 00 00 00 00 77 FF AA 17 00 17")).trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line).kind)).toEqual(["ack", "module"]);
  });

  it("prints aligned, labelled rows with units", () => {
    const table = formatTable(decodeHexText(BASIC));
    expect(table).toContain("#1 response 0x03 basic info");
    expect(table).toMatch(/^ {4}voltage {13}13\.34 V$/m);
    expect(table).toMatch(/current +-0\.53 A \(discharging\)/);
    expect(table).toMatch(/temperatures +26\.8, 27\.6, 27\.0 °C/);
    expect(table).toMatch(/MOSFETs +charge on, discharge on \(0x03\)/);
    // every value column starts at the same offset
    const rows = table.split("\n").filter((line) => line.startsWith("    "));
    const starts = new Set(rows.map((line) => /^ {4}\S.*?\s{2,}(?=\S)/.exec(line)?.[0].length));
    expect(starts.size).toBe(1);
  });

  it("prints every kind of item", () => {
    const extension =
      "DD 03 00 22 05 5F 00 00 4A DF 4E 20 00 02 2D 14 00 00 00 00 00 00 23 60 03 04 01 0B B1 00 00 00 4E 20 4A DF 00 00 FA C2 77";
    const counters = `DD AA 00 16 ${"00 ".repeat(21)}05 FF E5 77`; // sum 0x16 + 0x05 = 0x1B -> 0xFFE5
    const table = formatTable(
      decodeHexText(
        [
          extension,
          "DD 04 00 02 0D 77 FF 7A 77", // one cell 3.447 V
          "DD A0 00 06 05 44 47 4A 42 44 FE 9A 77", // manufacturer "DGJBD"
          counters,
          "DD 24 00 02 0E 42 FF AE 77", // parameter 0x24 = 3650
          "DD FA 00 01 09 FF F6 77", // unknown layout
          "DD 04 00 01 0D FF F2 77", // odd 0x04 data
          "DD 24 81 00 FF 7F 77",
          "DD 5A E1 02 00 01 FF 1C 77",
          "FF AA 17 00 17",
          "DD 04 00 00 00 00 77", // status 0 and no data: classified as an ack (checksum 0x0000)
        ].join(" "),
      ),
    );
    for (const expected of [
      /full charge capacity +200\.00 Ah/,
      /cell 1 +3\.447 V/,
      /text +"DGJBD"/,
      /pack_undervoltage +5/,
      /raw value +3650 \(0x0E42\)/,
      /data +09/,
      /decode error +0x04 data is 1 bytes/,
      /ERROR reply 0x24 parameter: operation_error \(status 0x81\)/,
      /write request 0xE1 MOSFET control/,
      /BLE module frame, command 0x17/,
      /write acknowledged 0x04 cell voltages/,
    ]) {
      expect(table).toMatch(expected);
    }
  });

  it("names registers, parameters and unknown registers", () => {
    expect(registerName(0xa1)).toBe("device name");
    expect(registerName(0x10)).toBe("parameter");
    expect(registerName(0xfb)).toBe("register");
  });
});

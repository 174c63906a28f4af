import { describe, expect, it } from "vitest";
import { createEmulatedBattery } from "../../src/emulator/battery.js";
import { parseCapture, ReplayResponder } from "../../src/emulator/replay.js";
import { concat, hex, wire } from "./helpers.js";

// The DP04S007 0x03 reply (syssi/esphome-jbd-bms docs/pdus/JBD-DP04S007L4S100A-BLE.txt)
const DP04S_03 =
  "DD 03 00 22 05 5F 00 00 4A DF 4E 20 00 02 2D 14 00 00 00 00 00 00 23 60 03 04 01 0B B1 00 00 00 4E 20 4A DF 00 00 FA C2 77";
// The 0xE1 write acknowledgement (docs/protocol.md §7)
const ACK_E1 = "DD E1 00 00 00 00 77";

const replayBattery = (text: string) => {
  const captured = parseCapture(text, "test");
  return createEmulatedBattery({ speed: 0, responder: () => new ReplayResponder(captured) });
};

describe("replay captures", () => {
  it("reads the esphome pdus style (>>> request <<< response, dot separated)", () => {
    const line = `>>> DD.A5.03.00.FF.FD.77 <<< ${DP04S_03.replaceAll(" ", ".")}`;
    const captured = parseCapture(line, "pdus");
    expect(captured).toEqual([{ register: 3, chunks: [hex(DP04S_03)] }]);
  });

  it("reads packed hex and timestamps without mistaking them for bytes", () => {
    const text = `2026-02-22 13:05:57 DEBUG rx ${DP04S_03.replaceAll(" ", "").toLowerCase()}\n13:05:58 tx ${ACK_E1}`;
    const captured = parseCapture(text, "log");
    expect(captured.map((c) => c.register)).toEqual([0x03, 0xe1]);
    expect(captured[0]?.chunks).toEqual([hex(DP04S_03)]);
  });

  it("reads a frame fixture JSON, keeping its notification chunks", () => {
    const chunks = [DP04S_03.slice(0, 59), DP04S_03.slice(60, 119), "77"];
    const json = JSON.stringify({ frames: [{ hex: "DD A5 03 00 FF FD 77" }, { hex: DP04S_03, chunks }] });
    expect(parseCapture(json, "fixture.json")).toEqual([{ register: 3, chunks: chunks.map(hex) }]);
  });

  it("serves each register's captured responses in order, starting over after the last", () => {
    const other = DP04S_03.replace("05 5F", "05 5E").replace("FA C2", "FA C3");
    const battery = replayBattery(`RX ${DP04S_03}\nRX ${other}`);
    const w = wire(battery);
    const read = () => concat(w.send(hex("DD A5 03 00 FF FD 77")));
    expect(read()).toEqual(hex(DP04S_03));
    expect(read()).toEqual(hex(other));
    expect(read()).toEqual(hex(DP04S_03));
  });

  it("refuses a capture with no response frames", () => {
    expect(() => parseCapture("nothing here\nTX DD A5 03 00 FF FD 77", "empty")).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
  });
});

describe("replay of the project's captured frame fixtures", () => {
  it.each(["jbd-dp04s007l4s100a-ble.json", "jbd-sp04s034-l4s-200a-uart.json", "jbd-sp04s034-v1.3-ble.json"])(
    "%s: every captured response comes back byte for byte",
    async (file) => {
      const { readFile } = await import("node:fs/promises");
      const text = await readFile(new URL(`../../fixtures/frames/${file}`, import.meta.url), "utf8");
      const doc = JSON.parse(text) as { frames: Array<{ hex: string; chunks?: string[] }> };
      const responses = doc.frames.filter(
        (f) => /^DD [0-9A-F]{2} [0-9A-F]{2} /i.test(f.hex) && !/^DD (A5|5A)/i.test(f.hex),
      );
      expect(responses.length).toBeGreaterThan(0);
      const w = wire(replayBattery(text));
      for (const frame of responses) {
        const register = hex(frame.hex)[1] as number;
        const request = Uint8Array.of(0xdd, 0xa5, register, 0x00, 0xff, (0x100 - register) & 0xff, 0x77);
        const chunks = w.send(request);
        // Captured notification boundaries are kept; an unchunked (UART) capture is cut at the notify size.
        if (frame.chunks) expect(chunks).toEqual(frame.chunks.map(hex));
        else expect(concat(chunks)).toEqual(hex(frame.hex));
      }
    },
  );
});

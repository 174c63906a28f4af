import { describe, expect, it } from "vitest";
import { createEmulatedBattery } from "../../src/emulator/battery.js";
import { encodeReadRequest, encodeWriteRequest } from "../../src/protocol/frame.js";
import { decodeResponse } from "../../src/protocol/registers/index.js";
import type { ResponseFrame } from "../../src/protocol/types.js";
import { concat, framesOf, hex, toHexString, wire } from "./helpers.js";

const frozen = () => createEmulatedBattery({ speed: 0 });

function decoded(chunks: Uint8Array[]) {
  const [frame] = framesOf(chunks);
  expect(frame?.kind).toMatch(/response|ack|error_reply/);
  const result = decodeResponse(frame as ResponseFrame);
  if (!result.ok) throw result.error;
  return result.value;
}

describe("JBD responder", () => {
  it("answers 0x03 with the model's state in 20 + 20 + 1 notifications, the last being 77", () => {
    const battery = frozen();
    const chunks = wire(battery).send(hex("DD A5 03 00 FF FD 77"));
    // docs/protocol.md §9: DP04S 0x03 with the extension tail and one NTC is 41 bytes → 20 + 20 + 1
    expect(chunks.map((c) => c.length)).toEqual([20, 20, 1]);
    expect(toHexString(chunks[2] as Uint8Array)).toBe("77");
    const value = decoded(chunks);
    expect(value.type).toBe("basic_info");
    if (value.type !== "basic_info") return;
    const s = battery.snapshot();
    expect(value.value).toMatchObject({
      voltageV: 13.45,
      currentA: 9.93,
      remainingAh: 198.4,
      nominalAh: 280,
      cycles: 27,
      socPct: 71,
      cellCount: 4,
      temperaturesC: [9],
      chargeFetOn: true,
      dischargeFetOn: true,
      protection: [],
      productionDate: { year: 2024, month: 5, day: 17 },
      extension: { fullChargeAh: 280, remainingAh: 198.4, balanceCurrentRaw: 0 },
    });
    expect(value.value.voltageV).toBe(s.voltageV);
  });

  it("answers 0x04 with the model's cell voltages in one 15-byte notification", () => {
    const battery = frozen();
    const chunks = wire(battery).send(hex("DD A5 04 00 FF FC 77"));
    expect(chunks.map((c) => c.length)).toEqual([15]);
    const value = decoded(chunks);
    expect(value).toMatchObject({ type: "cell_voltages", value: { cellsMv: battery.snapshot().cellsMv } });
  });

  it("answers 0x05 and 0xA0–0xA2 with the profile's strings", () => {
    const battery = createEmulatedBattery({ speed: 0, profile: { barcode: "ECO280-0001" } });
    const w = wire(battery);
    expect(decoded(w.send(hex("DD A5 05 00 FF FB 77")))).toMatchObject({
      value: { text: "JBD-DP04S007-L4S-200A" },
    });
    expect(decoded(w.send(encodeReadRequest(0xa0)))).toMatchObject({ value: { text: "DGJBD" } });
    expect(decoded(w.send(encodeReadRequest(0xa1)))).toMatchObject({
      value: { text: "JBD-DP04S007-L4S-200A" },
    });
    expect(decoded(w.send(encodeReadRequest(0xa2)))).toMatchObject({ value: { text: "ECO280-0001" } });
  });

  it("answers 0xAA with eleven error counters", () => {
    const battery = createEmulatedBattery({
      speed: 0,
      profile: { errorCounters: [1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5] },
    });
    const chunks = wire(battery).send(hex("DD A5 AA 00 FF 56 77"));
    const [frame] = framesOf(chunks);
    expect((frame as ResponseFrame).data).toHaveLength(22);
    expect(decoded(chunks)).toMatchObject({
      type: "error_counters",
      value: { counters: { short_circuit: 1, discharge_overcurrent: 2, pack_undervoltage: 5 } },
    });
  });

  it("answers an unknown register with status 0x80", () => {
    const chunks = wire(frozen()).send(encodeReadRequest(0xf5));
    expect(decoded(chunks)).toMatchObject({ type: "error_reply", status: 0x80 });
  });

  it("refuses parameter reads outside factory mode exactly like the capture (DD 24 81 00 FF 7F 77)", () => {
    const chunks = wire(frozen()).send(encodeReadRequest(0x24));
    expect(toHexString(concat(chunks))).toBe("DD 24 81 00 FF 7F 77");
  });

  it("serves EEPROM parameters in factory mode; a write applies at once and `28 28` saves it", () => {
    const battery = frozen();
    const w = wire(battery);
    // docs/protocol.md §7: enter factory mode and the all-zero acknowledgement
    expect(toHexString(concat(w.send(hex("DD 5A 00 02 56 78 FF 30 77"))))).toBe("DD 00 00 00 00 00 77");
    // docs/protocol.md §6 examples from the SP04S034 capture use the same units: COVP 0x24 in mV, design capacity 0x10 in 10 mAh
    expect(decoded(w.send(encodeReadRequest(0x24)))).toMatchObject({ value: { rawU16: 3650 } });
    expect(decoded(w.send(encodeReadRequest(0x10)))).toMatchObject({ value: { rawU16: 28000 } });
    expect(decoded(w.send(encodeReadRequest(0x29)))).toMatchObject({ value: { rawU16: 0x10000 - 20000 } });
    expect(decoded(w.send(encodeWriteRequest(0x24, hex("0E 10"))))).toMatchObject({ type: "ack" });
    expect(decoded(w.send(encodeReadRequest(0x24)))).toMatchObject({ value: { rawU16: 3600 } });
    expect(battery.model.params.get(0x24)).toBe(3600); // in effect at once
    // leaving without saving keeps the working value (never "accepted, then discarded")
    expect(toHexString(concat(w.send(hex("DD 5A 01 02 00 00 FF FD 77"))))).toBe("DD 01 00 00 00 00 77");
    expect(battery.model.params.get(0x24)).toBe(3600);
    expect(battery.model.eeprom.savedWord(0x24)).toBe(3650);
    w.send(hex("DD 5A 00 02 56 78 FF 30 77"));
    w.send(hex("DD 5A 01 02 28 28 FF AD 77"));
    expect(battery.model.eeprom.savedWord(0x24)).toBe(3600);
    // and factory mode is over again
    expect(decoded(w.send(encodeReadRequest(0x24)))).toMatchObject({ type: "error_reply", status: 0x81 });
  });

  it("refuses parameter writes outside factory mode with status 0x81", () => {
    const battery = frozen();
    expect(decoded(wire(battery).send(encodeWriteRequest(0x24, hex("0E 10"))))).toMatchObject({
      type: "error_reply",
      status: 0x81,
    });
    expect(battery.model.params.get(0x24)).toBe(3650);
  });

  it("0xE1 forces the charge FET off, sets protection bit 12, and releases", () => {
    const battery = frozen();
    const w = wire(battery);
    // docs/protocol.md §7 frames and the all-zero acknowledgement
    expect(toHexString(concat(w.send(hex("DD 5A E1 02 00 01 FF 1C 77"))))).toBe("DD E1 00 00 00 00 77");
    let info = decoded(w.send(hex("DD A5 03 00 FF FD 77")));
    expect(info).toMatchObject({
      value: { chargeFetOn: false, dischargeFetOn: true, protection: ["mosfet_software_lock"], currentA: 0 },
    });
    w.send(hex("DD 5A E1 02 00 00 FF 1D 77"));
    info = decoded(w.send(hex("DD A5 03 00 FF FD 77")));
    expect(info).toMatchObject({ value: { chargeFetOn: true, dischargeFetOn: true, protection: [] } });
  });

  it("does not answer a request with a bad checksum, and records it", () => {
    const battery = frozen();
    const w = wire(battery);
    expect(w.send(hex("DD A5 03 00 FF FE 77"))).toEqual([]);
    expect(battery.requests).toHaveLength(1);
    expect(battery.requests[0]).toMatchObject({ kind: "invalid", error: "checksum" });
  });

  it("reassembles a request that arrives split across writes", () => {
    const battery = frozen();
    const w = wire(battery);
    expect(w.send(hex("DD A5 04"))).toEqual([]);
    const chunks = w.send(hex("00 FF FC 77"));
    expect(decoded(chunks).type).toBe("cell_voltages");
    expect(battery.requests[0]).toMatchObject({ kind: "request", op: "read", register: 0x04 });
  });

  it("records writes with their data, so a test can prove what a client wrote", async () => {
    const battery = frozen();
    const w = wire(battery);
    const waiting = battery.expectRequest((r) => r.op === "write", 1000);
    w.send(hex("DD A5 03 00 FF FD 77"));
    w.send(hex("DD 5A E1 02 00 02 FF 1B 77"));
    const request = await waiting;
    expect(request).toMatchObject({ index: 2, register: 0xe1, data: hex("00 02") });
    expect(battery.requests.filter((r) => r.op === "write")).toHaveLength(1);
  });
});

describe("factory mode across connections", () => {
  it("survives a reconnect (the BMS never sees the link) and ends with a reboot", () => {
    const battery = frozen();
    const first = wire(battery);
    first.send(hex("DD 5A 00 02 56 78 FF 30 77"));
    first.port.close();
    const second = wire(battery);
    expect(decoded(second.send(encodeReadRequest(0x24)))).toMatchObject({ value: { rawU16: 3650 } });
    battery.reboot();
    const third = wire(battery);
    expect(decoded(third.send(encodeReadRequest(0x24)))).toMatchObject({ type: "error_reply", status: 0x81 });
  });
});

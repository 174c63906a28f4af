import { describe, expect, it } from "vitest";
import {
  hasJbdFingerprint,
  jbdManufacturerData,
  judgeJbd,
  shortUuid,
} from "../../../src/transport/ble/jbd-verdict.js";

const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));

describe("judging whether an advertisement looks like a JBD BMS", () => {
  it("recognises the setup guide's battery on every clue: name, OUI, FF00 and the fingerprint", () => {
    const verdict = judgeJbd({
      address: "A5:C2:37:3C:76:D2",
      name: "DP04S007L4S200A",
      serviceUuids: ["ff00"],
      manufacturerData: hex("d2763c37c2a5"),
    });
    expect(verdict.likelyJbd).toBe(true);
    expect(verdict.reasons).toHaveLength(4);
    expect(verdict.reasons[0]).toMatch(/name/);
    expect(verdict.reasons[1]).toMatch(/A5:C2:37/);
    expect(verdict.reasons[2]).toMatch(/FF00/);
    expect(verdict.reasons[3]).toMatch(/fingerprint/);
  });

  it("still recognises a renamed battery by its manufacturer-data fingerprint alone", () => {
    // aiobmsble's capture: DP04S007L4S100A, payload 2837c2a5 = the first four MAC bytes reversed
    const verdict = judgeJbd({
      address: "A5:C2:37:28:AB:CD",
      name: "Van house",
      manufacturerData: hex("cdab2837c2a5"),
    });
    expect(verdict.likelyJbd).toBe(true);
    expect(verdict.reasons.some((r) => r.includes("fingerprint"))).toBe(true);
  });

  it.each([["DP04S007L4S200A"], ["SP04S034L4S200A"], ["JBD-SP15S020"], ["xiaoxiang BMS"]])(
    "accepts the JBD name %s on its own",
    (name) => {
      expect(judgeJbd({ address: "11:22:33:44:55:66", name }).likelyJbd).toBe(true);
    },
  );

  it.each(["A4:C1:37", "A4:C1:38", "A5:C2:37", "A5:C2:39", "A5:C2:3A", "AA:C2:37", "70:3E:97", "10:A5:62"])(
    "accepts OUI %s together with service FF00",
    (oui) => {
      const verdict = judgeJbd({
        address: `${oui}:01:02:03`,
        serviceUuids: ["0000ff00-0000-1000-8000-00805f9b34fb"],
      });
      expect(verdict.likelyJbd).toBe(true);
      expect(verdict.reasons).toHaveLength(2);
    },
  );

  it("does not flag a device on a weak clue alone (a Telink thermometer, or any FF00 gadget)", () => {
    expect(judgeJbd({ address: "A4:C1:38:12:34:56", name: "LYWSD03MMC" }).likelyJbd).toBe(false);
    expect(judgeJbd({ address: "12:34:56:78:9A:BC", serviceUuids: ["ff00"] }).likelyJbd).toBe(false);
    expect(judgeJbd({ address: "12:34:56:78:9A:BC", serviceUuids: ["ff00"] }).reasons).toEqual([
      "advertises service FF00",
    ]);
  });

  it("rejects an unrelated device with no reasons", () => {
    const verdict = judgeJbd({
      address: "12:34:56:78:9A:BC",
      name: "Galaxy Buds",
      manufacturerData: hex("7500"),
    });
    expect(verdict).toEqual({ likelyJbd: false, reasons: [] });
  });
});

describe("the JBD manufacturer-data fingerprint", () => {
  it("is the MAC in little-endian byte order", () => {
    expect(Buffer.from(jbdManufacturerData("a5-c2-37-3c-76-d2") ?? []).toString("hex")).toBe("d2763c37c2a5");
    expect(jbdManufacturerData("not a mac")).toBeUndefined();
  });

  it("matches only the advertiser's own MAC, and needs the whole six bytes", () => {
    expect(hasJbdFingerprint("A5:C2:37:3C:76:D2", hex("d2763c37c2a5"))).toBe(true);
    expect(hasJbdFingerprint("A5:C2:37:3C:76:D3", hex("d2763c37c2a5"))).toBe(false);
    expect(hasJbdFingerprint("A5:C2:37:3C:76:D2", hex("d2763c37c2"))).toBe(false);
    expect(hasJbdFingerprint("A5:C2:37:3C:76:D2", undefined)).toBe(false);
  });
});

describe("short UUIDs", () => {
  it("shortens Bluetooth-base 128-bit UUIDs and keeps vendor ones whole", () => {
    expect(shortUuid("0000FF01-0000-1000-8000-00805F9B34FB")).toBe("ff01");
    expect(shortUuid("FF02")).toBe("ff02");
    expect(shortUuid("6e400001-b5a3-f393-e0a9-e50e24dcca9e")).toBe("6e400001b5a3f393e0a9e50e24dcca9e");
  });
});

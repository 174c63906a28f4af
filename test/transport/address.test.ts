import { describe, expect, it } from "vitest";
import { formatAddress, parseAddress } from "../../src/transport/address.js";
import { parseHci, parseHciList } from "../../src/transport/hci.js";

describe("parseAddress", () => {
  it("normalises BLE MACs in any common spelling to upper-case colon form", () => {
    for (const text of ["A5:C2:37:3C:76:D2", "a5:c2:37:3c:76:d2", "a5-c2-37-3c-76-d2", "a5c2373c76d2"]) {
      expect(parseAddress(text)).toEqual({ ok: true, address: { kind: "ble", mac: "A5:C2:37:3C:76:D2" } });
    }
  });

  it("reads serial paths with the JBD default of 9600 baud or an explicit rate", () => {
    expect(parseAddress("serial:/dev/ttyUSB0")).toEqual({
      ok: true,
      address: { kind: "serial", path: "/dev/ttyUSB0", baudRate: 9600 },
    });
    expect(parseAddress("serial:/dev/ttyUSB1@19200")).toEqual({
      ok: true,
      address: { kind: "serial", path: "/dev/ttyUSB1", baudRate: 19200 },
    });
  });

  it("reads tcp host:port including bracketed IPv6", () => {
    expect(parseAddress("tcp:192.168.1.50:8899")).toEqual({
      ok: true,
      address: { kind: "tcp", host: "192.168.1.50", port: 8899 },
    });
    expect(parseAddress("tcp:[::1]:8899")).toEqual({
      ok: true,
      address: { kind: "tcp", host: "::1", port: 8899 },
    });
  });

  it("explains what is wrong with a bad address", () => {
    expect(parseAddress("A5:C2")).toEqual({
      ok: false,
      problem: '"A5:C2" is not a BLE address or serial:/tcp: address',
    });
    expect(parseAddress("tcp:host")).toMatchObject({ ok: false });
    expect(parseAddress("tcp:host:99999")).toMatchObject({
      ok: false,
      problem: '"tcp:host:99999" has an invalid port',
    });
    expect(parseAddress("serial:")).toMatchObject({ ok: false });
    expect(parseAddress("serial:/dev/x@fast")).toMatchObject({ ok: false });
  });

  it("formats back to the canonical form", () => {
    for (const text of [
      "A5:C2:37:3C:76:D2",
      "serial:/dev/ttyUSB0",
      "serial:/dev/ttyS1@19200",
      "tcp:[::1]:8899",
      "memory:b1",
    ]) {
      const parsed = parseAddress(text);
      if (!parsed.ok) throw new Error(parsed.problem);
      expect(formatAddress(parsed.address)).toBe(text);
    }
  });
});

describe("parseHci", () => {
  it("accepts native, native:N and uart:PATH", () => {
    expect(parseHci("native")).toEqual({ ok: true, hci: { driver: "native", deviceId: 0 } });
    expect(parseHci("native:2")).toEqual({ ok: true, hci: { driver: "native", deviceId: 2 } });
    expect(parseHci("uart:/tmp/hci0")).toEqual({
      ok: true,
      hci: { driver: "uart", port: "/tmp/hci0", baudRate: 1_000_000 },
    });
    expect(parseHci("usb")).toMatchObject({ ok: false });
  });

  it("splits comma-separated lists and rejects a bad member", () => {
    const list = parseHciList("uart:/a,uart:/b");
    expect(list.ok && list.hcis.map((h) => h.driver)).toEqual(["uart", "uart"]);
    expect(parseHciList("uart:/a,bogus")).toMatchObject({ ok: false });
  });
});

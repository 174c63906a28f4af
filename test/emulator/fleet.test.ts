import { afterEach, describe, expect, it } from "vitest";
import { createFleet, emulatedMac } from "../../src/emulator/fleet.js";
import { gattBatteryOf } from "../../src/emulator/gatt/bleno.js";
import { type Served, serveBatteries } from "../../src/emulator/serve.js";
import { openTcpLink } from "../../src/transport/tcp.js";
import { concat, framesOf, hex } from "./helpers.js";

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe("a bank of emulated batteries (--count)", () => {
  it("gives each battery a distinct A5:C2:37 address, barcode and starting SoC; the last has a weak cell", () => {
    const fleet = createFleet({ count: 3, base: {}, speed: 0 });
    expect(fleet.map((b) => b.address)).toEqual([
      "A5:C2:37:E0:00:01",
      "A5:C2:37:E0:00:02",
      "A5:C2:37:E0:00:03",
    ]);
    expect(fleet.map((b) => b.profile.barcode)).toEqual(["EMU-0001", "EMU-0002", "EMU-0003"]);
    // 198.4 Ah, then 4 % of 280 Ah (11.2 Ah) less each
    expect(fleet.map((b) => b.profile.initial.remainingAh)).toEqual([198.4, 187.2, 176]);
    expect(fleet.map((b) => b.profile.bleName)).toEqual(Array(3).fill("DP04S007L4S200A"));
    expect(fleet[2]?.profile.cells[1]?.capacityAh).toBe(238);
    expect(fleet[0]?.profile.cells[1]?.capacityAh).toBeUndefined();
  });

  it("a single battery is exactly the default profile apart from its barcode", () => {
    const [only] = createFleet({ count: 1, base: {}, speed: 0 });
    expect(only?.snapshot()).toMatchObject({ voltageV: 13.45, socPct: 71 });
  });

  it("addresses stay distinct past 255 batteries", () => {
    expect(emulatedMac(255)).toBe("A5:C2:37:E0:01:00");
  });

  it("takes the user's MACs (--mac) and starts the others at the process's base", () => {
    const fleet = createFleet({ count: 3, base: {}, speed: 0, macs: ["a5:c2:37:3c:76:d2"], macBase: 0x1200 });
    expect(fleet.map((b) => b.address)).toEqual([
      "A5:C2:37:3C:76:D2",
      "A5:C2:37:E0:12:02",
      "A5:C2:37:E0:12:03",
    ]);
    // a given MAC is advertised as it is; without one, BLE advertises the controller's own address
    expect(fleet.map((b) => gattBatteryOf(b).mac)).toEqual(["A5:C2:37:3C:76:D2", undefined, undefined]);
    fleet[1]?.adoptControllerAddress("00:AA:01:00:00:02");
    fleet[0]?.adoptControllerAddress("00:AA:01:00:00:01");
    expect(fleet.map((b) => b.address)).toEqual([
      "A5:C2:37:3C:76:D2",
      "00:AA:01:00:00:02",
      "A5:C2:37:E0:12:03",
    ]);
  });

  it("puts battery i on PORT+i when a port is given", async () => {
    const fleet = createFleet({ count: 3, base: {}, speed: 0 });
    for (let attempt = 0; attempt < 5 && !served; attempt++) {
      const base = 20_000 + Math.floor(Math.random() * 40_000);
      served = await serveBatteries(fleet, [{ kind: "tcp", host: "127.0.0.1", port: base }]).catch(
        (error) => {
          if (error?.code !== "PORT_IN_USE") throw error;
          return undefined;
        },
      );
      if (served) expect(served.endpoints.map((e) => e[0]?.port)).toEqual([base, base + 1, base + 2]);
    }
    expect(served).toBeDefined();
  });

  it("serves each battery on its own TCP port, each answering with its own state", async () => {
    const fleet = createFleet({ count: 2, base: {}, speed: 0 });
    served = await serveBatteries(fleet, [{ kind: "tcp", host: "127.0.0.1", port: 0 }]);
    const ports = served.endpoints.map((e) => e[0]?.port as number);
    expect(new Set(ports).size).toBe(2);
    const socs: number[] = [];
    for (const port of ports) {
      const link = await openTcpLink({ host: "127.0.0.1", port }, { timeoutMs: 2000 });
      const chunks: Uint8Array[] = [];
      link.onData((c) => chunks.push(c));
      await link.write(hex("DD A5 03 00 FF FD 77"));
      for (let i = 0; i < 200 && concat(chunks).length < 41; i++) await new Promise((r) => setTimeout(r, 10));
      const frame = framesOf(chunks)[0] as { data: Uint8Array };
      socs.push(frame.data[19] as number); // RSOC, docs/protocol.md §3 data offset 19
      await link.close();
    }
    expect(socs).toEqual([71, 67]);
  });
});

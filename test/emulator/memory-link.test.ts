import { describe, expect, it } from "vitest";
import { createEmulatedBattery } from "../../src/emulator/battery.js";
import { linkToBattery } from "../../src/emulator/memory-link.js";
import { concat, hex } from "./helpers.js";

describe("linkToBattery", () => {
  it("delivers the answer as link data after write() returns, never inside it", async () => {
    const battery = createEmulatedBattery({ speed: 0 });
    const link = linkToBattery(battery);
    const received: Uint8Array[] = [];
    let writing = false;
    let reentrant = false;
    link.onData((chunk) => {
      if (writing) reentrant = true;
      received.push(chunk);
    });
    writing = true;
    const written = link.write(hex("DD A5 04 00 FF FC 77"));
    writing = false;
    await written;
    await Promise.resolve();
    expect(reentrant).toBe(false);
    expect(concat(received).slice(0, 4)).toEqual(hex("DD 04 00 08"));
    expect(link.address).toBe(battery.address);
  });

  it("drops the link when the battery asks for a disconnect", async () => {
    const battery = createEmulatedBattery({ speed: 0, faults: [{ kind: "disconnect" }] });
    const link = linkToBattery(battery);
    const closed = new Promise((resolve) => link.onClose(resolve));
    await link.write(hex("DD A5 03 00 FF FD 77"));
    const error = await closed;
    expect(error).toMatchObject({ code: "DISCONNECTED" });
    expect(link.isOpen).toBe(false);
    expect(battery.isConnected).toBe(false);
  });

  it("closing the link frees the battery for the next connection", async () => {
    const battery = createEmulatedBattery({ speed: 0 });
    const first = linkToBattery(battery);
    expect(() => linkToBattery(battery)).toThrow(expect.objectContaining({ code: "BUSY" }));
    await first.close();
    expect(linkToBattery(battery).isOpen).toBe(true);
  });
});

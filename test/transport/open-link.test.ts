import { describe, expect, it } from "vitest";
import { isBmsError } from "../../src/errors.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { type BatteryAddress, parseAddress } from "../../src/transport/address.js";
import { MemoryLink } from "../../src/transport/memory.js";
import { type AdapterOpener, createBatteryLinkOpener } from "../../src/transport/open-link.js";
import { systemClock } from "../../src/util/clock.js";

function target(text: string): BatteryAddress {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.address;
}

describe("createBatteryLinkOpener", () => {
  const logger = createMemoryLogger();

  it("opens memory:NAME through the registry, a fresh link each time", async () => {
    let made = 0;
    const factory = createBatteryLinkOpener({
      clock: systemClock,
      logger,
      memory: new Map([["bank1", () => new MemoryLink(`memory:bank1#${++made}`)]]),
    });
    const first = await factory.open({ target: target("memory:bank1"), hci: "native" }, { timeoutMs: 100 });
    const second = await factory.open({ target: target("memory:bank1"), hci: "native" }, { timeoutMs: 100 });
    expect([first.address, second.address]).toEqual(["memory:bank1#1", "memory:bank1#2"]);
  });

  it("reports an unknown in-process battery as DEVICE_NOT_FOUND", async () => {
    const factory = createBatteryLinkOpener({ clock: systemClock, logger });
    const error = await factory
      .open({ target: target("memory:nope"), hci: "native" }, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(isBmsError(error, "DEVICE_NOT_FOUND")).toBe(true);
  });

  it("creates one BLE opener per adapter, shares it between batteries and closes it", async () => {
    const created: string[] = [];
    const opened: string[] = [];
    let closed = 0;
    const factory = createBatteryLinkOpener({
      clock: systemClock,
      logger,
      createBleOpener: async (hci): Promise<AdapterOpener> => {
        created.push(hci);
        return {
          open: async (mac) => {
            opened.push(`${hci} ${mac}`);
            return new MemoryLink(mac);
          },
          close: async () => {
            closed++;
          },
        };
      },
    });
    await factory.open({ target: target("A5:C2:37:3C:76:D2"), hci: "native" }, { timeoutMs: 100 });
    await factory.open({ target: target("A5:C2:37:46:27:CC"), hci: "native" }, { timeoutMs: 100 });
    await factory.open({ target: target("A5:C2:37:41:1D:E0"), hci: "native:1" }, { timeoutMs: 100 });
    expect(created).toEqual(["native", "native:1"]);
    expect(opened).toEqual([
      "native A5:C2:37:3C:76:D2",
      "native A5:C2:37:46:27:CC",
      "native:1 A5:C2:37:41:1D:E0",
    ]);
    await factory.close();
    expect(closed).toBe(2);
  });

  it("retries creating an adapter that failed before", async () => {
    let attempts = 0;
    const factory = createBatteryLinkOpener({
      clock: systemClock,
      logger,
      createBleOpener: async () => {
        attempts++;
        throw new Error("adapter down");
      },
    });
    const open = () =>
      factory.open({ target: target("A5:C2:37:3C:76:D2"), hci: "native" }, { timeoutMs: 100 });
    await expect(open()).rejects.toThrow("adapter down");
    await expect(open()).rejects.toThrow("adapter down");
    expect(attempts).toBe(2);
  });
});

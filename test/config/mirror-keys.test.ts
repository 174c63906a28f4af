import { describe, expect, it } from "vitest";
import { printableConfig } from "../../src/config/config.js";
import { loadConfig } from "../../src/config/load.js";

const base = { randomHex: () => "00" };
const ble = ["A5:C2:37:3C:76:D2", "A5:C2:37:46:27:CC"];

describe("mirror controllers", () => {
  it("are none by default", () => {
    expect(loadConfig({ ...base, flags: { address: [ble[0]] } }).mirror).toEqual([]);
  });

  it("come from --mirror (repeated or comma-separated), BMS_MIRROR_HCI and the file's mirror:", () => {
    const fromFlags = loadConfig({ ...base, flags: { address: ble, mirror: ["native:1,native:2"] } });
    expect(fromFlags.mirror).toEqual(["native:1", "native:2"]);
    const repeated = loadConfig({ ...base, flags: { address: ble, mirror: ["native:1", "native:2"] } });
    expect(repeated.mirror).toEqual(["native:1", "native:2"]);
    const fromEnv = loadConfig({
      ...base,
      flags: { address: ble },
      env: { BMS_MIRROR_HCI: "uart:/dev/ttyACM0" },
    });
    expect(fromEnv.mirror).toEqual(["uart:/dev/ttyACM0"]);
    const fromFile = loadConfig({
      ...base,
      flags: { address: ble },
      file: { path: "c.yaml", text: "mirror:\n  - native:1\n" },
    });
    expect(fromFile.mirror).toEqual(["native:1"]);
    expect(printableConfig(fromFile).mirror).toEqual(["native:1"]);
  });

  it("lists every problem at once: a bad selection, a duplicate, the bridge's own adapter, too many", () => {
    let message = "";
    try {
      loadConfig({
        ...base,
        flags: { address: [ble[0]], hci: "native:0", mirror: ["bogus,native:0,native:1,native:1"] },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('"bogus" is not an HCI selection');
    expect(message).toContain("hci0 is the adapter the bridge reads batteries with");
    expect(message).toContain("hci1 is listed twice (also mirror 3)");
    expect(message).toContain("4 controllers for 1 battery: one mirror per battery");
    expect(message).toContain("--mirror");
  });

  it("may share nothing with a TCP battery's (absent) adapter", () => {
    const config = loadConfig({ ...base, flags: { address: ["tcp:10.0.0.5:8899"], mirror: ["native"] } });
    expect(config.mirror).toEqual(["native"]);
  });
});

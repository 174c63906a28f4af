import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";

const base = { randomHex: () => "00", flags: { address: ["tcp:127.0.0.1:8899"] } };

describe("control and capture settings", () => {
  it("are off by default", () => {
    const config = loadConfig(base);
    expect(config.bridge.allowControl).toBe(false);
    expect(config.bridge.captureFile).toBeUndefined();
  });

  it("come from --allow-control / --capture, BMS_ALLOW_CONTROL / BMS_CAPTURE_FILE and the file", () => {
    const fromFlags = loadConfig({
      ...base,
      flags: { ...base.flags, allowControl: true, capture: "run.jsonl" },
    });
    expect(fromFlags.bridge).toMatchObject({ allowControl: true, captureFile: "run.jsonl" });
    const fromEnv = loadConfig({ ...base, env: { BMS_ALLOW_CONTROL: "1", BMS_CAPTURE_FILE: "env.jsonl" } });
    expect(fromEnv.bridge).toMatchObject({ allowControl: true, captureFile: "env.jsonl" });
    const fromFile = loadConfig({
      ...base,
      file: { path: "c.yaml", text: "bridge:\n  allow_control: true\n  capture_file: f.jsonl\n" },
    });
    expect(fromFile.bridge).toMatchObject({ allowControl: true, captureFile: "f.jsonl" });
  });

  it("name the variable when BMS_ALLOW_CONTROL is not a boolean", () => {
    expect(() => loadConfig({ ...base, env: { BMS_ALLOW_CONTROL: "sure" } })).toThrow(
      'BMS_ALLOW_CONTROL: "sure" is not a boolean',
    );
  });
});

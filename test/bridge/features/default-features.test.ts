import { describe, expect, it } from "vitest";
import { bankWindowMs } from "../../../src/bridge/features/default-features.js";
import { loadConfig } from "../../../src/config/load.js";

const TWO = "A5:C2:37:3C:76:D2, A5:C2:37:46:27:CC";
const config = (env: Record<string, string>) => loadConfig({ env, randomHex: () => "00" });

describe("the bank window of the default features", () => {
  it("is 200 ms with several batteries polled every few seconds", () => {
    expect(bankWindowMs(config({ BMS_ADDRESS: TWO, POLL_INTERVAL: "5" }))).toBe(200);
  });

  it("is a quarter of the poll interval when that is shorter", () => {
    expect(bankWindowMs(config({ BMS_ADDRESS: TWO, POLL_INTERVAL: "0.5" }))).toBe(125);
  });

  it("is zero with one battery, whose plain topics go out with each reading", () => {
    expect(bankWindowMs(config({ BMS_ADDRESS: "A5:C2:37:3C:76:D2", POLL_INTERVAL: "5" }))).toBe(0);
  });
});

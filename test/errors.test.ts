import { describe, expect, it } from "vitest";
import { BmsError, type BmsErrorCode, failureCause } from "../src/errors.js";

describe("failureCause", () => {
  it("tells apart the failures a user acts on differently", () => {
    const cases: Array<[BmsErrorCode, string, string]> = [
      ["DEVICE_NOT_FOUND", "not_advertising", "not advertising"],
      ["CONNECT_FAILED", "connect_failed", "connect refused or timed out"],
      ["GATT_MISSING", "gatt_missing", "GATT service missing"],
      ["TIMEOUT", "no_reply", "no reply"],
      ["BAD_FRAMES", "bad_frames", "bad frames"],
      ["FRAME_CHECKSUM", "bad_frames", "bad frames"],
      ["BMS_STATUS", "bad_frames", "bad frames"],
      ["DISCONNECTED", "link_lost", "link dropped"],
      ["ADAPTER_LOST", "adapter_lost", "adapter lost"],
      ["ADAPTER_UNAVAILABLE", "adapter_lost", "adapter lost"],
      ["IO", "other", "io"],
    ];
    for (const [code, cause, label] of cases) {
      expect(failureCause(new BmsError(code, "x")), code).toEqual({ cause, label });
    }
  });
});

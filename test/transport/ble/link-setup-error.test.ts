/**
 * A BLE link that fails after the connection was made (service discovery, subscription) says why in
 * the kinds a user can act on (src/errors.ts failureCause), never `other`.
 */
import { describe, expect, it } from "vitest";
import { BmsError, failureCause } from "../../../src/errors.js";
import { setUpError } from "../../../src/transport/ble/link.js";

const MAC = "a5:c2:37:e2:00:01";

describe("a failed BLE link set-up", () => {
  it("keeps our own errors as they are", () => {
    const ours = new BmsError("GATT_MISSING", "no FF00 service");
    expect(setUpError(ours, MAC, undefined)).toBe(ours);
  });

  it("is the adapter's loss when the adapter is down", () => {
    const lost = new BmsError("ADAPTER_LOST", "Bluetooth adapter hci0 lost: powered off");
    const error = setUpError(new Error("Peripheral disconnected"), MAC, lost);
    expect(error).toBe(lost);
    expect(failureCause(error).cause).toBe("adapter_lost");
  });

  it("is a dropped link when noble fails with the adapter up, and keeps noble's words", () => {
    const raw = new Error("Peripheral disconnected");
    const error = setUpError(raw, MAC, undefined);
    expect(error.code).toBe("DISCONNECTED");
    expect(error.message).toBe(`${MAC}: the link dropped while it was being set up: Peripheral disconnected`);
    expect(error.context).toEqual({ address: MAC });
    expect(error.cause).toBe(raw);
    expect(failureCause(error)).toEqual({ cause: "link_lost", label: "link dropped" });
  });

  it("takes a thrown non-Error too", () => {
    expect(setUpError("HCI command disallowed", MAC, undefined).message).toContain("HCI command disallowed");
  });
});

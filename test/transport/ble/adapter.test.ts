import { describe, expect, it } from "vitest";
import { isBmsError } from "../../../src/errors.js";
import { createBleOpener, describeHci, openBleAdapter } from "../../../src/transport/ble/index.js";
import { HCI_UART_BAUD, parseHci } from "../../../src/transport/hci.js";

describe("opening a BLE adapter that is not there", () => {
  it("fails with ADAPTER_UNAVAILABLE naming a missing serial port, without waiting", async () => {
    const error = await openBleAdapter({
      hci: { driver: "uart", port: "/nonexistent/hci-tty", baudRate: HCI_UART_BAUD },
    }).catch((e: unknown) => e);
    expect(isBmsError(error, "ADAPTER_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toBe(
      "Bluetooth adapter uart:/nonexistent/hci-tty: serial port /nonexistent/hci-tty does not exist",
    );
  });

  it("fails with ADAPTER_UNAVAILABLE when the port answers no HCI, after the power-on timeout", async () => {
    // /dev/null opens fine but never answers the HCI reset: the adapter never powers on
    const error = await openBleAdapter({
      hci: { driver: "uart", port: "/dev/null", baudRate: HCI_UART_BAUD },
      powerOnTimeoutMs: 1500,
    }).catch((e: unknown) => e);
    expect(isBmsError(error, "ADAPTER_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toMatch(/^Bluetooth adapter uart:\/dev\/null: .*1500 ms/);
  });

  it("rejects an HCI selection it cannot parse as a usage error", async () => {
    await expect(createBleOpener({ hci: "bluetooth0" })).rejects.toMatchObject({ code: "USAGE" });
  });
});

describe("naming an HCI selection", () => {
  it.each([
    ["native", "hci0"],
    ["native:2", "hci2"],
    ["uart:/tmp/lab/hci-0", "uart:/tmp/lab/hci-0"],
  ])("shows %s as %s", (text, shown) => {
    const parsed = parseHci(text);
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(describeHci(parsed.hci)).toBe(shown);
  });
});

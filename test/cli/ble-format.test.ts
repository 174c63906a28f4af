import { describe, expect, it } from "vitest";
import {
  discoveryJson,
  formatDiscovery,
  formatScanLines,
  scanJson,
  scanSummary,
} from "../../src/cli/ble-format.js";
import { judgeJbd } from "../../src/transport/ble/jbd-verdict.js";
import type { ScannedDevice } from "../../src/transport/ble/scan.js";

function device(address: string, rssi: number, name?: string): ScannedDevice {
  return {
    address,
    rssi,
    name,
    manufacturerDataHex: undefined,
    serviceUuids: [],
    connectable: true,
    verdict: judgeJbd({ address, name }),
  };
}

// the scan listing of the Accu-Solar BMS setup guide (strongest first, as scanBle sorts them)
const guideScan = [
  device("A5:C2:37:3C:76:D2", -45, "DP04S007L4S200A"),
  device("A5:C2:37:46:27:CC", -46, "DP04S007L4S200A"),
  device("A5:C2:37:41:1D:E0", -47, "DP04S007L4S200A"),
];

describe("bms-bridge scan output", () => {
  it("prints the setup guide's lines, the strongest one marked", () => {
    expect(formatScanLines(guideScan, { all: false })).toEqual([
      "A5:C2:37:3C:76:D2  RSSI  -45  DP04S007L4S200A   ← strongest signal, use this one",
      "A5:C2:37:46:27:CC  RSSI  -46  DP04S007L4S200A",
      "A5:C2:37:41:1D:E0  RSSI  -47  DP04S007L4S200A",
    ]);
  });

  it("hides devices that do not look like JBD unless --all, which flags the JBD ones with *", () => {
    const mixed = [device("12:34:56:78:9A:BC", -30, "Galaxy Buds"), ...guideScan.slice(0, 1)];
    expect(formatScanLines(mixed, { all: false })).toEqual([
      "A5:C2:37:3C:76:D2  RSSI  -45  DP04S007L4S200A   ← strongest signal, use this one",
    ]);
    expect(formatScanLines(mixed, { all: true })).toEqual([
      "  12:34:56:78:9A:BC  RSSI  -30  Galaxy Buds",
      "* A5:C2:37:3C:76:D2  RSSI  -45  DP04S007L4S200A   ← strongest signal, use this one",
    ]);
    expect(scanSummary(mixed, 8, false)).toBe(
      "1 JBD-looking device(s) found in 8 s (1 other device(s) hidden; --all lists them).",
    );
  });

  it("marks no device as strongest when the controller reports no RSSI (127)", () => {
    expect(formatScanLines([device("00:AA:01:01:00:42", 127, "DP04S007L4S200A")], { all: false })).toEqual([
      "00:AA:01:01:00:42  RSSI  n/a  DP04S007L4S200A",
    ]);
  });

  it("says what to try when no battery was found", () => {
    const text = scanSummary([device("12:34:56:78:9A:BC", -30, "Galaxy Buds")], 8, false);
    expect(text).toMatch(/^No JBD-looking device found in 8 s \(1 other device\(s\) seen\)/);
    expect(text).toMatch(/phone app/);
    expect(text).toMatch(/--all/);
  });

  it("gives JSON with snake_case keys and null for a missing RSSI", () => {
    const rows = JSON.parse(scanJson([device("00:AA:01:01:00:42", 127, "DP04S007L4S200A")], { all: false }));
    expect(rows).toEqual([
      {
        address: "00:AA:01:01:00:42",
        rssi: null,
        name: "DP04S007L4S200A",
        manufacturer_data: null,
        service_uuids: [],
        connectable: true,
        likely_jbd: true,
        jbd_reasons: ["name matches DP..S... (JBD DP series)"],
      },
    ]);
  });
});

describe("bms-bridge discover output", () => {
  const services = [
    {
      uuid: "ff00",
      characteristics: [
        { uuid: "ff01", properties: ["read", "notify"], valueHex: "" },
        { uuid: "ff02", properties: ["writeWithoutResponse", "write"] },
      ],
    },
  ];

  it("lists each service with its characteristics, properties and values", () => {
    expect(formatDiscovery("A5:C2:37:3C:76:D2", services)).toBe(
      [
        "A5:C2:37:3C:76:D2: 1 service(s)",
        "service FF00  (JBD UART service)",
        "  characteristic FF01  (JBD notify (BMS → us))  [read, notify]  value: (empty)",
        "  characteristic FF02  (JBD write (us → BMS))  [writeWithoutResponse, write]",
        "",
      ].join("\n"),
    );
  });

  it("gives the same as JSON", () => {
    expect(JSON.parse(discoveryJson("A5:C2:37:3C:76:D2", services))).toEqual({
      address: "A5:C2:37:3C:76:D2",
      services: [
        {
          uuid: "ff00",
          characteristics: [
            { uuid: "ff01", properties: ["read", "notify"], value: "" },
            { uuid: "ff02", properties: ["writeWithoutResponse", "write"], value: null },
          ],
        },
      ],
    });
  });
});

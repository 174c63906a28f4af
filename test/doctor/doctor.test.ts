/**
 * Every doctor check's failure paths with the fake system (src/testing/fake-doctor-system.ts), and the
 * configuration through the real loader `run` uses. Each test changes one fact of a healthy Pi.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { formatReport, reportJson, runDoctor } from "../../src/doctor/doctor.js";
import type { CheckResult, ConfigOutcome, DoctorOptions } from "../../src/doctor/types.js";
import { BmsError, isBmsError } from "../../src/errors.js";
import { type FakeDoctorFacts, FakeDoctorSystem } from "../../src/testing/index.js";

const BATTERY = "A5:C2:37:3C:76:D2";
const OPTIONS: DoctorOptions = {
  scanTimeoutMs: 3000,
  brokerTimeoutMs: 2000,
  service: true,
  fallbackHci: "native",
};

function configFrom(env: Record<string, string>): ConfigOutcome {
  try {
    return { ok: true, config: loadConfig({ env, randomHex: () => "abcdef", hostname: "pi" }) };
  } catch (error) {
    if (!isBmsError(error, "CONFIG_INVALID")) throw error;
    return { ok: false, problems: error.context.problems as string[] };
  }
}

const BLE_CONFIG = configFrom({ BMS_ADDRESS: BATTERY, MQTT_BROKER: "192.168.8.152" });
const SEEN = [{ address: BATTERY, rssi: -67, name: "DP04S007L4S200A", likelyJbd: true }];

async function doctor(
  facts: Partial<FakeDoctorFacts>,
  config = BLE_CONFIG,
  options: Partial<DoctorOptions> = {},
) {
  const system = new FakeDoctorSystem({ advertising: SEEN, ...facts });
  const report = await runDoctor(system, config, { ...OPTIONS, ...options });
  const byId = new Map(report.results.map((result) => [result.id, result]));
  const result = (id: string): CheckResult => {
    const found = byId.get(id);
    if (!found) throw new Error(`no ${id} check`);
    return found;
  };
  return { report, result, system };
}

describe("doctor on a healthy Pi", () => {
  it("passes every check and shows the service's recent log lines; the scan stays off the running service's batteries", async () => {
    const { report, result, system } = await doctor({});
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ["node", "pass"],
      ["config", "pass"],
      ["service", "pass"],
      ["adapter", "pass"],
      ["permission", "pass"],
      ["bluez", "pass"],
      ["scan", "skip"],
      ["broker", "pass"],
    ]);
    expect(report.ok).toBe(true);
    expect(result("service").details?.[0]).toContain("Published →");
    expect(system.scans).toEqual([]);
  });

  it("with the service stopped, scans and shows each configured battery's RSSI", async () => {
    const stopped = { ...new FakeDoctorSystem().facts.service, active: "inactive" };
    const { result, system } = await doctor({ service: stopped });
    expect(result("scan")).toMatchObject({
      status: "pass",
      details: [`${BATTERY} DP04S007L4S200A RSSI -67 dBm`],
    });
    expect(system.scans).toEqual([{ hci: "native", timeoutMs: 3000 }]);
  });
});

describe("doctor names each misconfiguration with its fix", () => {
  const noService = { service: { ...new FakeDoctorSystem().facts.service, running: false } };

  it("Node.js too old", async () => {
    const { result, report } = await doctor({ nodeVersion: "v18.19.0" });
    expect(result("node")).toMatchObject({ status: "fail", fix: expect.stringContaining("20.19") });
    expect(report.ok).toBe(false);
  });

  it("bad configuration: every problem listed, the checks that need it skipped", async () => {
    const config = configFrom({ BMS_ADDRESS: "A5:C2", MQTT_PORT: "abc" });
    const { result, report } = await doctor(noService, config);
    expect(result("config").status).toBe("fail");
    expect(result("config").details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MQTT_PORT: "abc"/),
        expect.stringMatching(/^BMS_ADDRESS: /),
      ]),
    );
    expect(result("broker")).toMatchObject({ status: "skip", summary: "skipped: the config check failed" });
    expect(report.ok).toBe(false);
  });

  it("no adapter", async () => {
    const { result, system } = await doctor({ ...noService, hciDevices: [] });
    expect(result("adapter")).toMatchObject({
      status: "fail",
      summary: expect.stringContaining("no Bluetooth adapter hci0"),
    });
    expect(result("adapter").fix).toMatch(/USB Bluetooth adapter|dtoverlay=disable-bt/);
    expect(result("scan").status).toBe("skip");
    expect(system.scans).toEqual([]);
  });

  it("another adapter than the configured one", async () => {
    const config = configFrom({ BMS_ADDRESS: BATTERY, BMS_HCI: "native:1" });
    const { result } = await doctor({ ...noService, hciDevices: ["hci0"] }, config);
    expect(result("adapter")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("--hci native:0"),
    });
  });

  it("adapter soft-blocked by rfkill", async () => {
    const { result } = await doctor({ ...noService, rfkill: [{ name: "hci0", soft: true, hard: false }] });
    expect(result("adapter")).toMatchObject({ status: "fail", fix: "sudo rfkill unblock bluetooth" });
  });

  it("UART controller missing or not writable", async () => {
    const config = configFrom({ BMS_ADDRESS: BATTERY, BMS_HCI: "uart:/dev/ttyUSB0" });
    const missing = await doctor(noService, config);
    expect(missing.result("adapter")).toMatchObject({
      status: "fail",
      summary: "serial port /dev/ttyUSB0 does not exist",
    });
    const denied = await doctor({ ...noService, serialPorts: { "/dev/ttyUSB0": "denied" } }, config);
    expect(denied.result("adapter")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("dialout"),
    });
    const fine = await doctor({ ...noService, serialPorts: { "/dev/ttyUSB0": "ok" }, root: false }, config);
    expect(fine.result("permission").status).toBe("skip");
    expect(fine.result("scan").status).toBe("pass");
  });

  it("missing capability: not root and without CAP_NET_RAW/CAP_NET_ADMIN", async () => {
    const onlyNetRaw = 1n << 13n;
    const { result, system } = await doctor({ ...noService, root: false, capabilities: onlyNetRaw });
    expect(result("permission")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("sudo bms-bridge doctor"),
    });
    expect(result("scan")).toMatchObject({ status: "skip", summary: "skipped: the permission check failed" });
    expect(system.scans).toEqual([]);
    const both = (1n << 13n) | (1n << 12n);
    const granted = await doctor({ ...noService, root: false, capabilities: both });
    expect(granted.result("permission")).toMatchObject({
      status: "pass",
      summary: "CAP_NET_RAW and CAP_NET_ADMIN granted",
    });
  });

  it("a battery stored in BlueZ, and bluetoothd not running", async () => {
    const stored = await doctor({ ...noService, bluezKnown: [BATTERY, "11:22:33:44:55:66"] });
    expect(stored.result("bluez")).toMatchObject({ status: "fail", fix: `bluetoothctl remove ${BATTERY}` });
    const stopped = await doctor({ ...noService, processes: [] });
    expect(stopped.result("bluez")).toMatchObject({
      status: "warn",
      fix: "sudo systemctl enable --now bluetooth",
    });
    expect(stopped.report.ok).toBe(true);
  });

  it("adapter powered off, and a battery not advertising", async () => {
    const off = new BmsError(
      "ADAPTER_UNAVAILABLE",
      "Bluetooth adapter hci0: did not power on within 4000 ms (state: poweredOff; try: bluetoothctl power on)",
    );
    const powered = await doctor({ ...noService, advertising: off });
    expect(powered.result("scan")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("btmgmt --index 0 power on"),
    });
    const silent = await doctor({ ...noService, advertising: [] });
    expect(silent.result("scan")).toMatchObject({ status: "fail", details: [`${BATTERY} not seen`] });
    expect(silent.result("scan").fix).toMatch(/phone app/);
  });

  it("wrong broker: refused, bad credentials, TLS", async () => {
    for (const [reason, fix] of [
      ["nothing is listening at mqtt://192.168.8.152:1883 (ECONNREFUSED)", /start the broker/],
      ["broker refused the connection: bad user name or password", /MQTT_USERNAME/],
      ["self-signed certificate in certificate chain", /MQTT_CA_FILE/],
      ["no answer within 2 s (host unreachable?)", /reachable/],
    ] as const) {
      const { result, system } = await doctor({ ...noService, broker: { ok: false, reason } }, BLE_CONFIG);
      expect(result("broker")).toMatchObject({
        status: "fail",
        summary: `mqtt://192.168.8.152:1883: ${reason}`,
      });
      expect(result("broker").fix).toMatch(fix);
      expect(system.brokerAttempts).toEqual(["mqtt://192.168.8.152:1883"]);
    }
  });

  it("unit not installed, program gone, disabled, not running", async () => {
    const base = new FakeDoctorSystem().facts.service;
    const missing = await doctor({ service: { ...base, unitText: undefined } });
    expect(missing.result("service")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("service install"),
    });
    const moved = await doctor({ files: [] });
    expect(moved.result("service")).toMatchObject({
      status: "fail",
      summary: expect.stringContaining("/usr/bin/node"),
    });
    const python = "[Service]\nExecStart=/home/pi/bms-env/bin/python3 /home/pi/eco_worthy_bridge.py\n";
    const old = await doctor({
      files: ["/home/pi/bms-env/bin/python3"],
      service: { ...base, unitText: python },
    });
    expect(old.result("service")).toMatchObject({
      status: "fail",
      summary: expect.stringContaining("eco_worthy_bridge.py"),
    });
    expect(old.result("service").fix).toContain("docs/upgrade-from-python.md");
    const disabled = await doctor({ service: { ...base, enabled: "disabled" } });
    expect(disabled.result("service")).toMatchObject({
      status: "fail",
      fix: "sudo systemctl enable --now bms-bridge",
    });
    const failed = await doctor({ service: { ...base, active: "failed" } });
    expect(failed.result("service")).toMatchObject({ status: "fail", summary: "enabled but failed" });
    expect(failed.result("service").details).toEqual(base.recentLog);
  });
});

describe("what does not apply is skipped and does not fail the run", () => {
  it("no BLE battery configured: every BLE check is not applicable", async () => {
    const config = configFrom({ BMS_ADDRESS: "tcp:10.0.0.5:8899" });
    const { report, system } = await doctor({ hciDevices: [] }, config);
    for (const id of ["adapter", "permission", "bluez", "scan"])
      expect(report.results.find((r) => r.id === id)).toMatchObject({
        status: "skip",
        summary: "not applicable: no BLE battery configured",
      });
    expect(report.ok).toBe(true);
    expect(system.scans).toEqual([]);
  });

  it("no systemd, or --no-service", async () => {
    const base = new FakeDoctorSystem().facts.service;
    const container = await doctor({ service: { ...base, running: false } });
    expect(container.result("service").status).toBe("skip");
    expect(container.report.ok).toBe(true);
    const other = await doctor({ service: { ...base, unitText: undefined } }, BLE_CONFIG, { service: false });
    expect(other.result("service").summary).toContain("--no-service");
    expect(other.report.ok).toBe(true);
  });

  it("no configuration yet: the default adapter is still checked and lists the JBD batteries in range", async () => {
    const { result, system } = await doctor(
      {
        service: { ...new FakeDoctorSystem().facts.service, running: false },
        advertising: [...SEEN, { address: "11:22:33:44:55:66", rssi: -80, name: "phone", likelyJbd: false }],
      },
      configFrom({}),
    );
    expect(system.scans).toEqual([{ hci: "native", timeoutMs: 3000 }]);
    expect(result("scan")).toMatchObject({
      status: "pass",
      details: [`${BATTERY} DP04S007L4S200A RSSI -67 dBm`],
    });
  });

  it("a check that throws is reported as failed, not as a crash", async () => {
    const system = new FakeDoctorSystem();
    system.service = async () => {
      throw new Error("journalctl vanished");
    };
    const report = await runDoctor(system, BLE_CONFIG, OPTIONS);
    expect(report.results.find((r) => r.id === "service")).toMatchObject({
      status: "fail",
      summary: expect.stringContaining("journalctl vanished"),
    });
  });
});

describe("the report", () => {
  it("has one line per check, the fix under a failure, and the same facts as JSON", async () => {
    const { report } = await doctor({
      hciDevices: [],
      service: { ...new FakeDoctorSystem().facts.service, running: false },
    });
    const text = formatReport(report);
    const firstLines = text.split("\n").filter((line) => /^(ok|FAIL|warn|skip) /.test(line));
    expect(firstLines).toHaveLength(report.results.length);
    expect(text).toMatch(/^FAIL {2}Bluetooth adapter +no Bluetooth adapter hci0/m);
    expect(text).toMatch(/^ +fix: plug in a USB Bluetooth adapter/m);
    expect(text.trimEnd().split("\n").at(-1)).toBe("1 check(s) failed: exit code 1");
    const json = JSON.parse(reportJson(report)) as { ok: boolean; checks: CheckResult[] };
    expect(json.ok).toBe(false);
    expect(json.checks.map((c) => c.id)).toEqual(report.results.map((r) => r.id));
    expect(json.checks.find((c) => c.id === "adapter")?.fix).toBeDefined();
  });
});

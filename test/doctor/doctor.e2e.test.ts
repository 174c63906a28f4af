/**
 * `bms-bridge doctor` as a real process on this machine (no Bluetooth adapter, no systemd: real failure
 * and skip paths), against the embedded broker with credentials; and the real broker check in-process:
 * accepted, wrong password, nothing listening.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningBroker, startBroker } from "../../src/broker/broker.js";
import { loadConfig } from "../../src/config/load.js";
import { realDoctorSystem } from "../../src/doctor/system.js";
import { createMemoryLogger } from "../../src/log/logger.js";
import { REPO_ROOT } from "../support/repo-root.js";

vi.setConfig({ testTimeout: 120_000 });

const CLI = join(REPO_ROOT, "src/cli/bms-bridge.ts");
const HAS_ADAPTER = existsSync("/sys/class/bluetooth/hci0");
let broker: RunningBroker;
let dir: string;

beforeAll(async () => {
  broker = await startBroker({
    port: 0,
    wsPort: null,
    username: "bridge",
    password: "right",
    logger: createMemoryLogger(),
  });
  dir = mkdtempSync(join(tmpdir(), "bms-doctor-"));
});
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

function doctor(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, "doctor", ...args],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        timeout: 90_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("bms-bridge doctor on this machine", () => {
  it("names the missing adapter and the rejected password, one line each with a fix, exit 1", async () => {
    const env = {
      BMS_ADDRESS: "A5:C2:37:3C:76:D2",
      MQTT_BROKER: "127.0.0.1",
      MQTT_PORT: String(broker.ports.mqtt),
      MQTT_USERNAME: "bridge",
      MQTT_PASSWORD: "wrong",
    };
    const { code, stdout, stderr } = await doctor(["--scan-timeout", "2"], env);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^ok {4}Node\.js +v\d+\.\d+\.\d+ \(needs ≥ 20\.19\)$/m);
    expect(stdout).toMatch(/^ok {4}configuration +1 battery\(ies\) \(A5:C2:37:3C:76:D2\)/m);
    expect(stdout).toMatch(
      /^FAIL {2}MQTT broker +mqtt:\/\/127\.0\.0\.1:\d+: broker refused the connection: (bad user name or password|not authorized)/m,
    );
    expect(stdout).toMatch(/fix: check MQTT_USERNAME \/ MQTT_PASSWORD/);
    if (!HAS_ADAPTER) {
      expect(stdout).toMatch(/^FAIL {2}Bluetooth adapter +no Bluetooth adapter hci0/m);
      expect(stdout).toMatch(/^skip {2}batteries advertising +skipped: the adapter check failed$/m);
    }
    if (!existsSync("/run/systemd/system"))
      expect(stdout).toMatch(/^skip {2}systemd service +not applicable: systemd is not running here/m);
  });

  it("--json: the same checks for a script, the broker accepted with the right password", async () => {
    const env = {
      BMS_ADDRESS: "tcp:127.0.0.1:8899",
      MQTT_BROKER: `mqtt://bridge:right@127.0.0.1:${broker.ports.mqtt}`,
    };
    const { code, stdout } = await doctor(["--json", "--no-service"], env);
    const report = JSON.parse(stdout) as { ok: boolean; checks: Array<{ id: string; status: string }> };
    expect(report.checks.map((check) => [check.id, check.status])).toEqual([
      ["node", "pass"],
      ["config", "pass"],
      ["service", "skip"],
      ["adapter", "skip"],
      ["permission", "skip"],
      ["bluez", "skip"],
      ["scan", "skip"],
      ["broker", "pass"],
    ]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  });

  it("a bad config file: every problem listed as a failed check (exit 1, not a usage error)", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "batteries:\n  - address: A5:C2\nmqtt:\n  brokr: x\n  port: 99999\n");
    const { code, stdout } = await doctor(["--config", file, "--no-service"], {});
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL {2}configuration +3 problem\(s\)/m);
    expect(stdout).toContain('unknown key "brokr"');
    expect(stdout).toMatch(/port: 99999 must be between 1 and 65535/);
  });

  it("a bad flag is a usage error: exit 2, one line", async () => {
    const { code, stderr } = await doctor(["--scan-timeout", "soon"], {});
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("the real broker check", () => {
  const mqttConfig = (broker: string) =>
    loadConfig({ env: { BMS_ADDRESS: "tcp:127.0.0.1:1", MQTT_BROKER: broker } }).mqtt;

  it("connects with the right credentials and is refused with the wrong ones", async () => {
    const system = realDoctorSystem();
    const port = broker.ports.mqtt;
    expect(await system.connectBroker(mqttConfig(`mqtt://bridge:right@127.0.0.1:${port}`), 5000)).toEqual({
      ok: true,
    });
    const refused = await system.connectBroker(mqttConfig(`mqtt://bridge:wrong@127.0.0.1:${port}`), 5000);
    expect(refused).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/user name or password|not authorized/),
    });
  });

  it("says nothing is listening on a closed port", async () => {
    const closed = await startBroker({ port: 0, wsPort: null, logger: createMemoryLogger() });
    const port = closed.ports.mqtt;
    await closed.close();
    const outcome = await realDoctorSystem().connectBroker(mqttConfig(`mqtt://127.0.0.1:${port}`), 5000);
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining("ECONNREFUSED") });
  });
});

import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import {
  renderSystemdUnit,
  renderWindowsTask,
  type ServiceTarget,
  systemdNextSteps,
} from "../../src/service/systemd-units.js";

const target: ServiceTarget = {
  nodePath: "/usr/bin/node",
  scriptArgs: ["/usr/lib/node_modules/bms-bridge/dist/cli/bms-bridge.js"],
  runArgs: [],
  user: "pi",
  workingDirectory: "/home/pi",
};

const guideUnitConfig = loadConfig({
  env: {
    BMS_ADDRESS: "A5:C2:37:3C:76:D2",
    MQTT_BROKER: "192.168.8.152",
    MQTT_PORT: "1883",
    POLL_INTERVAL: "5",
  },
});

describe("renderSystemdUnit", () => {
  it("reproduces the setup guide's unit, with ExecStart for bms-bridge and the capabilities noble needs", () => {
    const unit = renderSystemdUnit(guideUnitConfig, target);
    // every line of the guide's [Unit], [Service] and [Install] sections except ExecStart (the Accu-Solar BMS setup guide, "Step 7")
    for (const line of [
      "[Unit]",
      "Description=ECO-Worthy BMS → MQTT Bridge",
      "After=network.target bluetooth.target",
      "Wants=bluetooth.target",
      "[Service]",
      "User=pi",
      "WorkingDirectory=/home/pi",
      'Environment="BMS_ADDRESS=A5:C2:37:3C:76:D2"',
      'Environment="MQTT_BROKER=192.168.8.152"',
      'Environment="MQTT_PORT=1883"',
      'Environment="POLL_INTERVAL=5"',
      "Restart=always",
      "RestartSec=15",
      "StandardOutput=journal",
      "StandardError=journal",
      "[Install]",
      "WantedBy=multi-user.target",
    ]) {
      expect(unit.split("\n")).toContain(line);
    }
    expect(unit).toContain(
      "\nExecStart=/usr/bin/node --max-semi-space-size=1 --v8-pool-size=1 --expose-gc /usr/lib/node_modules/bms-bridge/dist/cli/bms-bridge.js run\n",
    );
    expect(unit).toContain("\nAmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN\n");
    expect(unit).toContain("\nEnvironmentFile=-/etc/bms-bridge.env\n");
  });

  it("joins several batteries into one BMS_ADDRESS and writes a broker URL when it is not plain mqtt", () => {
    const config = loadConfig({
      env: {
        BMS_ADDRESS: "A5:C2:37:3C:76:D2,tcp:10.0.0.5:8899",
        MQTT_BROKER: "mqtts://broker.lan",
        POLL_INTERVAL: "2.5",
      },
    });
    const unit = renderSystemdUnit(config, target);
    expect(unit).toContain('Environment="BMS_ADDRESS=A5:C2:37:3C:76:D2,tcp:10.0.0.5:8899"');
    expect(unit).toContain('Environment="MQTT_BROKER=mqtts://broker.lan:8883"');
    expect(unit).toContain('Environment="MQTT_PORT=8883"');
    expect(unit).toContain('Environment="POLL_INTERVAL=2.5"');
  });

  it("carries the mirror's controllers, and writes no BMS_MIRROR_HCI without them", () => {
    const config = loadConfig({
      env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2,A5:C2:37:46:27:CC" },
      flags: { mirror: ["native:1", "native:2"] },
    });
    expect(renderSystemdUnit(config, target)).toContain('Environment="BMS_MIRROR_HCI=native:1,native:2"');
    expect(renderSystemdUnit(guideUnitConfig, target)).not.toContain("BMS_MIRROR_HCI");
  });

  it("never writes the MQTT password into the unit", () => {
    const config = loadConfig({
      env: { BMS_ADDRESS: "A5:C2:37:3C:76:D2", MQTT_PASSWORD: "hunter2", MQTT_USERNAME: "u" },
    });
    expect(renderSystemdUnit(config, target)).not.toContain("hunter2");
  });

  it("quotes paths with spaces and escapes % in ExecStart", () => {
    const unit = renderSystemdUnit(guideUnitConfig, {
      ...target,
      scriptArgs: ["/opt/my bridge/bms-bridge.js"],
      runArgs: ["--config", "/etc/bms 100%.yaml"],
    });
    expect(unit).toContain(
      'ExecStart=/usr/bin/node --max-semi-space-size=1 --v8-pool-size=1 --expose-gc "/opt/my bridge/bms-bridge.js" run --config "/etc/bms 100%%.yaml"',
    );
  });

  it("prints the systemctl steps after install", () => {
    expect(systemdNextSteps("/etc/systemd/system/bms-bridge.service")).toEqual([
      "# wrote /etc/systemd/system/bms-bridge.service",
      "sudo systemctl daemon-reload",
      "sudo systemctl enable bms-bridge",
      "sudo systemctl start bms-bridge",
      "journalctl -u bms-bridge -f",
    ]);
  });
});

describe("renderWindowsTask", () => {
  it("sets the variables machine-wide and registers a restarting task at logon", () => {
    const text = renderWindowsTask(guideUnitConfig, {
      ...target,
      nodePath: "C:\\Program Files\\nodejs\\node.exe",
    });
    expect(text).toContain(
      `[System.Environment]::SetEnvironmentVariable('BMS_ADDRESS', 'A5:C2:37:3C:76:D2', "Machine")`,
    );
    expect(text).toContain("-Execute 'C:\\Program Files\\nodejs\\node.exe'");
    expect(text).toContain(
      "-Argument '--max-semi-space-size=1 --v8-pool-size=1 --expose-gc /usr/lib/node_modules/bms-bridge/dist/cli/bms-bridge.js run'",
    );
    expect(text).toContain("New-ScheduledTaskTrigger -AtLogon");
    expect(text).toContain("-RestartCount 10");
    expect(text).toContain('Register-ScheduledTask -TaskName "bms-bridge"');
  });
});

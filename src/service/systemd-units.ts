/**
 * Service definitions for `bms-bridge service`: the systemd unit of the Accu-Solar BMS setup guide ("Step 7"), generated from
 * the effective configuration, and the Windows scheduled-task equivalent (the Accu-Solar BMS setup guide, "Auto-Start on Windows").
 * Pure text generation: nothing here touches the file system or the process.
 */
import type { BridgeConfig } from "../config/config.js";
import { BRIDGE_NODE_FLAGS } from "./node-flags.js";

export interface ServiceTarget {
  /** Absolute path of the node binary. */
  nodePath: string;
  /** Arguments before the sub-command, e.g. [`/usr/lib/node_modules/bms-bridge/dist/cli/bms-bridge.js`]. */
  scriptArgs: string[];
  /** Extra arguments after `run` (e.g. `--config /etc/bms-bridge.yaml`). */
  runArgs: string[];
  user: string;
  workingDirectory: string;
}

/** Secrets never go into a unit file (world-readable); they belong in the EnvironmentFile. */
export const ENVIRONMENT_FILE = "/etc/bms-bridge.env";

export const SERVICE_NAME = "bms-bridge";

/** Where `service install` writes the unit and `doctor` looks for it. */
export const UNIT_PATH = `/etc/systemd/system/${SERVICE_NAME}.service`;

/**
 * The original unit's four variables, from the effective config (so `service print` shows what runs),
 * plus the mirror's controllers when there are any.
 */
export function serviceEnvironment(config: BridgeConfig): Array<[string, string]> {
  const broker = config.mqtt.url.startsWith("mqtt://") ? config.mqtt.host : config.mqtt.url;
  const env: Array<[string, string]> = [];
  if (config.batteries.length > 0)
    env.push(["BMS_ADDRESS", config.batteries.map((b) => b.address).join(",")]);
  env.push(
    ["MQTT_BROKER", broker],
    ["MQTT_PORT", String(config.mqtt.port)],
    ["POLL_INTERVAL", String(config.bridge.pollIntervalS)],
  );
  // a mirror needs its controllers in the service too, or `service install --mirror …` would drop them
  if (config.mirror.length > 0) env.push(["BMS_MIRROR_HCI", config.mirror.join(",")]);
  return env;
}

/** systemd `Environment="K=V"`: backslash and quote escaped, `%` doubled (specifier syntax). */
function systemdQuote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
}

/** An ExecStart word: quoted only when it needs to be. */
function execWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word.replace(/%/g, "%%") : systemdQuote(word);
}

export function renderSystemdUnit(config: BridgeConfig, target: ServiceTarget): string {
  const exec = [target.nodePath, ...BRIDGE_NODE_FLAGS, ...target.scriptArgs, "run", ...target.runArgs]
    .map(execWord)
    .join(" ");
  const environment = serviceEnvironment(config).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`);
  return [
    "[Unit]",
    "Description=ECO-Worthy BMS → MQTT Bridge",
    "After=network.target bluetooth.target",
    "Wants=bluetooth.target",
    "",
    "[Service]",
    `User=${target.user}`,
    `WorkingDirectory=${target.workingDirectory}`,
    ...environment,
    `# MQTT_USERNAME / MQTT_PASSWORD and other settings: put them in ${ENVIRONMENT_FILE} (chmod 600)`,
    `EnvironmentFile=-${ENVIRONMENT_FILE}`,
    `ExecStart=${exec}`,
    // noble talks to the adapter over raw HCI sockets; a non-root user needs these two capabilities
    "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN",
    "Restart=always",
    "RestartSec=15",
    "StandardOutput=journal",
    "StandardError=journal",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The commands to run after writing the unit (printed; only run with --enable). */
export function systemdNextSteps(unitPath: string): string[] {
  const steps = [
    "sudo systemctl daemon-reload",
    `sudo systemctl enable ${SERVICE_NAME}`,
    `sudo systemctl start ${SERVICE_NAME}`,
  ];
  return [`# wrote ${unitPath}`, ...steps, `journalctl -u ${SERVICE_NAME} -f`];
}

/** PowerShell single-quoted string. */
function psQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The Windows equivalent: machine-wide variables + a scheduled task at logon that restarts on failure. */
export function renderWindowsTask(config: BridgeConfig, target: ServiceTarget): string {
  const args = [...BRIDGE_NODE_FLAGS, ...target.scriptArgs, "run", ...target.runArgs]
    .map((a) => (/\s/.test(a) ? `"${a}"` : a))
    .join(" ");
  const env = serviceEnvironment(config).map(
    ([k, v]) => `[System.Environment]::SetEnvironmentVariable(${psQuote(k)}, ${psQuote(v)}, "Machine")`,
  );
  return [
    "# Run in an Administrator PowerShell",
    ...env,
    `$action = New-ScheduledTaskAction -Execute ${psQuote(target.nodePath)} -Argument ${psQuote(args)} -WorkingDirectory ${psQuote(target.workingDirectory)}`,
    "$trigger = New-ScheduledTaskTrigger -AtLogon",
    "$settings = New-ScheduledTaskSettingsSet -RestartCount 10 -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit ([TimeSpan]::Zero)",
    'Register-ScheduledTask -TaskName "bms-bridge" -Action $action -Trigger $trigger -Settings $settings -RunLevel Highest',
    "",
  ].join("\n");
}

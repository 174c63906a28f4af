/**
 * `bms-bridge doctor`: each check is one small function of the facts it needs. Every fact about the
 * machine (files under /sys and /proc, the Bluetooth adapter, the broker, systemd) comes through
 * DoctorSystem, so each failure path is tested with a fake (src/testing/fake-doctor-system.ts) and the
 * real one (system.ts) is only the thin reading of those facts.
 */
import type { BridgeConfig, MqttConfig } from "../config/config.js";
import type { BmsError } from "../errors.js";

/**
 * pass: checked and fine. fail: checked and wrong (the exit code is 1). warn: fine for now, with a risk
 * named. skip: not applicable here (no BLE battery configured, no systemd) or blocked by a failure
 * above it, which has already set the exit code; a skip alone never fails the run.
 */
export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export interface CheckResult {
  id: string;
  status: CheckStatus;
  /** One line: what was found. */
  summary: string;
  /** What to type or change; present on every fail and warn. */
  fix?: string;
  /** Extra lines: every config problem, the service's recent log lines, each battery's RSSI. */
  details?: string[];
  /** Machine-readable facts for --json and for later checks (e.g. the service's `active` state). */
  facts?: Record<string, string | number | boolean>;
}

export interface ScannedBattery {
  address: string;
  /** dBm; undefined when the controller reports none. */
  rssi: number | undefined;
  name: string | undefined;
  /** Looks like a JBD BMS (name, service FF00, manufacturer data): see src/transport/ble/jbd-verdict.ts. */
  likelyJbd: boolean;
}

export type ScanOutcome = { ok: true; devices: ScannedBattery[] } | { ok: false; error: BmsError };

export type BrokerOutcome = { ok: true } | { ok: false; reason: string };

export interface RfkillEntry {
  name: string;
  soft: boolean;
  hard: boolean;
}

export interface ServiceFacts {
  /** systemd is PID 1 (not in most containers). */
  running: boolean;
  unitPath: string;
  /** The unit file's text, undefined when it is not installed. */
  unitText: string | undefined;
  /** `systemctl is-enabled` / `is-active` words: enabled, disabled, active, failed, inactive, … */
  enabled: string;
  active: string;
  recentLog: string[];
}

export interface DoctorSystem {
  nodeVersion: string;
  isRoot(): boolean;
  /** The effective capability mask (/proc/self/status CapEff), undefined when unknown. */
  effectiveCapabilities(): Promise<bigint | undefined>;
  /** `hci0`, `hci1`, … from /sys/class/bluetooth. */
  hciDevices(): Promise<string[]>;
  /** Bluetooth entries of /sys/class/rfkill. */
  bluetoothRfkill(): Promise<RfkillEntry[]>;
  /** Whether the file exists and this process may read and write it (a UART adapter). */
  canReadWrite(path: string): Promise<"ok" | "missing" | "denied">;
  fileExists(path: string): Promise<boolean>;
  processRunning(name: string): Promise<boolean>;
  /** Devices BlueZ has stored (paired or trusted), upper-case MACs (/var/lib/bluetooth/<adapter>/<device>). */
  bluezKnownDevices(): Promise<string[]>;
  scan(hci: string, timeoutMs: number): Promise<ScanOutcome>;
  connectBroker(mqtt: MqttConfig, timeoutMs: number): Promise<BrokerOutcome>;
  service(): Promise<ServiceFacts>;
}

export type ConfigOutcome = { ok: true; config: BridgeConfig } | { ok: false; problems: string[] };

export interface DoctorOptions {
  /** How long the advertising check scans. */
  scanTimeoutMs: number;
  brokerTimeoutMs: number;
  /** `--no-service`: the bridge runs another way (container, by hand): the service check is skipped. */
  service: boolean;
  /** The adapter to check when no valid configuration names one (--hci, BMS_HCI, else native). */
  fallbackHci: string;
}

export interface DoctorInput {
  system: DoctorSystem;
  config: ConfigOutcome;
  options: DoctorOptions;
  /** Results of the checks that ran before this one, by id. */
  earlier: ReadonlyMap<string, CheckResult>;
}

export interface Check {
  id: string;
  /** Short label shown in front of each line. */
  title: string;
  run(input: DoctorInput): Promise<CheckResult>;
}

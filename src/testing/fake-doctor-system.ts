/**
 * A DoctorSystem made of plain fields: by default a healthy Raspberry Pi (hci0 present and unblocked,
 * root, bluetoothd running, the broker accepting, the service installed, enabled and active, every
 * scanned battery advertising). A test changes the one fact whose failure it wants to see.
 */

import type {
  BrokerOutcome,
  DoctorSystem,
  RfkillEntry,
  ScannedBattery,
  ScanOutcome,
  ServiceFacts,
} from "../doctor/types.js";
import { BmsError } from "../errors.js";

export interface FakeDoctorFacts {
  nodeVersion: string;
  root: boolean;
  capabilities: bigint | undefined;
  hciDevices: string[];
  rfkill: RfkillEntry[];
  /** Serial paths and their access; anything not listed is missing. */
  serialPorts: Record<string, "ok" | "denied">;
  files: string[];
  processes: string[];
  bluezKnown: string[];
  /** What a scan sees, or the error the adapter fails with. */
  advertising: ScannedBattery[] | BmsError;
  broker: BrokerOutcome;
  service: ServiceFacts;
}

export const HEALTHY_UNIT = [
  "[Service]",
  "ExecStart=/usr/bin/node /usr/lib/node_modules/bms-bridge/dist/cli/bms-bridge.js run",
  "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN",
  "",
].join("\n");

export function healthyDoctorFacts(): FakeDoctorFacts {
  return {
    nodeVersion: "v20.19.2",
    root: true,
    capabilities: undefined,
    hciDevices: ["hci0"],
    rfkill: [{ name: "hci0", soft: false, hard: false }],
    serialPorts: {},
    files: ["/usr/bin/node"],
    processes: ["bluetoothd"],
    bluezKnown: [],
    advertising: [],
    broker: { ok: true },
    service: {
      running: true,
      unitPath: "/etc/systemd/system/bms-bridge.service",
      unitText: HEALTHY_UNIT,
      enabled: "enabled",
      active: "active",
      recentLog: ["2026-11-30T12:00:00+0000 pi bms-bridge[612]: Published → 13.45V | 9.93A | SoC 71%"],
    },
  };
}

/** The fake, plus the calls it received (which adapters were scanned, which broker was tried). */
export class FakeDoctorSystem implements DoctorSystem {
  readonly facts: FakeDoctorFacts;
  readonly scans: Array<{ hci: string; timeoutMs: number }> = [];
  readonly brokerAttempts: string[] = [];

  constructor(change: Partial<FakeDoctorFacts> = {}) {
    this.facts = { ...healthyDoctorFacts(), ...change };
  }

  get nodeVersion(): string {
    return this.facts.nodeVersion;
  }
  isRoot(): boolean {
    return this.facts.root;
  }
  async effectiveCapabilities(): Promise<bigint | undefined> {
    return this.facts.capabilities;
  }
  async hciDevices(): Promise<string[]> {
    return [...this.facts.hciDevices];
  }
  async bluetoothRfkill(): Promise<RfkillEntry[]> {
    return [...this.facts.rfkill];
  }
  async canReadWrite(path: string): Promise<"ok" | "missing" | "denied"> {
    return this.facts.serialPorts[path] ?? "missing";
  }
  async fileExists(path: string): Promise<boolean> {
    return this.facts.files.includes(path);
  }
  async processRunning(name: string): Promise<boolean> {
    return this.facts.processes.includes(name);
  }
  async bluezKnownDevices(): Promise<string[]> {
    return [...this.facts.bluezKnown];
  }
  async scan(hci: string, timeoutMs: number): Promise<ScanOutcome> {
    this.scans.push({ hci, timeoutMs });
    const seen = this.facts.advertising;
    return seen instanceof BmsError ? { ok: false, error: seen } : { ok: true, devices: [...seen] };
  }
  async connectBroker(mqtt: { url: string }): Promise<BrokerOutcome> {
    this.brokerAttempts.push(mqtt.url);
    return this.facts.broker;
  }
  async service(): Promise<ServiceFacts> {
    return { ...this.facts.service };
  }
}

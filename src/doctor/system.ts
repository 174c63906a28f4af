/**
 * The real DoctorSystem: thin reads of /sys, /proc, /var/lib/bluetooth, the adapter (noble, loaded lazily),
 * the broker (mqtt.js with the bridge's own options) and systemd. No decisions here: the checks decide.
 */
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, readdir, readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";
import mqtt from "mqtt";
import {
  clientOptions,
  DEFAULT_MQTT_OPTIONS,
  describeConnectError,
  readCaFile,
} from "../bridge/mqtt/options.js";
import type { MqttConfig } from "../config/config.js";
import { toBmsError } from "../errors.js";
import { SERVICE_NAME, UNIT_PATH } from "../service/systemd-units.js";
import { parseHci } from "../transport/hci.js";
import type { BrokerOutcome, DoctorSystem, RfkillEntry, ScanOutcome, ServiceFacts } from "./types.js";

const run = promisify(execFile);

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function text(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").then(
    (value) => value.trim(),
    () => undefined,
  );
}

/** systemctl/journalctl print their answer on stdout even when they exit non-zero (disabled, inactive). */
async function output(command: string, args: string[]): Promise<string> {
  return run(command, args, { timeout: 10_000 }).then(
    ({ stdout }) => stdout.trim(),
    (error: { stdout?: string; message: string }) => error.stdout?.trim() || `unknown (${error.message})`,
  );
}

async function rfkill(): Promise<RfkillEntry[]> {
  const found: RfkillEntry[] = [];
  for (const entry of await entries("/sys/class/rfkill")) {
    const dir = `/sys/class/rfkill/${entry}`;
    if ((await text(`${dir}/type`)) !== "bluetooth") continue;
    found.push({
      name: (await text(`${dir}/name`)) ?? entry,
      soft: (await text(`${dir}/soft`)) === "1",
      hard: (await text(`${dir}/hard`)) === "1",
    });
  }
  return found;
}

async function scan(hciText: string, timeoutMs: number): Promise<ScanOutcome> {
  const parsed = parseHci(hciText);
  if (!parsed.ok) return { ok: false, error: toBmsError(new Error(parsed.problem), "USAGE") };
  try {
    const [{ openBleAdapter }, { scanBle }] = await Promise.all([
      import("../transport/ble/adapter.js"),
      import("../transport/ble/scan.js"),
    ]);
    const adapter = await openBleAdapter({ hci: parsed.hci, powerOnTimeoutMs: 4000 });
    try {
      const devices = await scanBle(adapter, { timeoutMs });
      return {
        ok: true,
        devices: devices.map((device) => ({
          address: device.address,
          rssi: device.rssi === 127 ? undefined : device.rssi,
          name: device.name,
          likelyJbd: device.verdict.likelyJbd,
        })),
      };
    } finally {
      await adapter.close();
    }
  } catch (error) {
    return { ok: false, error: toBmsError(error, "ADAPTER_UNAVAILABLE") };
  }
}

/**
 * One connection attempt with the bridge's options, but its own client id (reusing the bridge's would
 * kick the running bridge off the broker) and no last will (a will would announce the bridge offline).
 */
async function connectBroker(config: MqttConfig, timeoutMs: number): Promise<BrokerOutcome> {
  let ca: Buffer | undefined;
  try {
    ca = config.caFile === undefined ? undefined : await readCaFile(config.caFile);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  const options = clientOptions(
    { ...DEFAULT_MQTT_OPTIONS, ...config, connectTimeoutMs: timeoutMs },
    `bms-bridge-doctor-${process.pid}`,
    4,
    ca,
    `${config.topicPrefix}/bridge/state`,
  );
  const { will: _will, ...withoutWill } = options;
  const client = mqtt.connect(config.url, { ...withoutWill, reconnectPeriod: 0 });
  const outcome = await new Promise<BrokerOutcome>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, reason: `no answer within ${timeoutMs / 1000} s (host unreachable?)` }),
      timeoutMs,
    );
    client.once("connect", () => {
      clearTimeout(timer);
      resolve({ ok: true });
    });
    client.once("error", (error: Error & { code?: unknown }) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: describeConnectError(error, config.url) });
    });
  });
  await client.endAsync(true).catch(() => undefined);
  return outcome;
}

async function service(): Promise<ServiceFacts> {
  const running = await stat("/run/systemd/system").then(
    () => true,
    () => false,
  );
  const unitText = await readFile(UNIT_PATH, "utf8").catch(() => undefined);
  if (!running || unitText === undefined)
    return { running, unitPath: UNIT_PATH, unitText, enabled: "", active: "", recentLog: [] };
  const [enabled, active, log] = await Promise.all([
    output("systemctl", ["is-enabled", SERVICE_NAME]),
    output("systemctl", ["is-active", SERVICE_NAME]),
    output("journalctl", ["-u", SERVICE_NAME, "-n", "5", "--no-pager", "-o", "short-iso", "-q"]),
  ]);
  return {
    running,
    unitPath: UNIT_PATH,
    unitText,
    enabled,
    active,
    recentLog: log.split("\n").filter(Boolean),
  };
}

export function realDoctorSystem(): DoctorSystem {
  return {
    nodeVersion: process.version,
    isRoot: () => process.geteuid?.() === 0,
    effectiveCapabilities: async () => {
      const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec((await text("/proc/self/status")) ?? "")?.[1];
      return hex === undefined ? undefined : BigInt(`0x${hex}`);
    },
    hciDevices: async () =>
      (await entries("/sys/class/bluetooth")).filter((name) => /^hci\d+$/.test(name)).sort(),
    bluetoothRfkill: rfkill,
    canReadWrite: (path) =>
      access(path, constants.R_OK | constants.W_OK).then(
        () => "ok" as const,
        (error: NodeJS.ErrnoException) =>
          error.code === "ENOENT" ? ("missing" as const) : ("denied" as const),
      ),
    fileExists: (path) =>
      stat(path).then(
        () => true,
        () => false,
      ),
    processRunning: async (name) => {
      for (const pid of (await entries("/proc")).filter((entry) => /^\d+$/.test(entry)))
        if ((await text(`/proc/${pid}/comm`)) === name) return true;
      return false;
    },
    bluezKnownDevices: async () => {
      const macs: string[] = [];
      for (const adapter of await entries("/var/lib/bluetooth"))
        for (const device of await entries(`/var/lib/bluetooth/${adapter}`))
          if (/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/i.test(device)) macs.push(device.toUpperCase());
      return macs;
    },
    scan,
    connectBroker,
    service,
  };
}

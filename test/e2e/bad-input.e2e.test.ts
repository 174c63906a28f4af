/**
 * Every malformed environment variable, `run` flag, config file key and `bms-emu` flag, each given alone
 * to a real process: it must exit 2 with ONE error line naming the culprit, and no stack trace. The env
 * and flag tables are checked against the config's own lists (ENV_VARS, FLAG_MAPPINGS), so a new variable
 * or flag without a case here fails this suite.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ENV_VARS, FLAG_MAPPINGS } from "../../src/config/layers.js";
import { REPO_ROOT } from "../support/repo-root.js";

const BATTERY = { BMS_ADDRESS: "A5:C2:37:3C:76:D2" };
/** commander's hint after a usage error: a hint, not a second message. */
const HINT = "(run with --help for usage)";
const dir = mkdtempSync(join(tmpdir(), "bms-bad-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  lines: string[];
}

function runCli(cli: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli", cli), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    // a process that does not exit is a hang: kill it and report it as such
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split("\n").filter((line) => line.trim() !== "") });
    });
  });
}

/** Runs `jobs` two at a time (2 CPU cores). */
async function inPairs<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

interface Case {
  what: string;
  cli?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Text the one error line must contain (the variable, flag or key it is about). */
  names: string;
}

function expectUsageError(c: Case, outcome: Outcome): void {
  const label = `${c.what}: ${JSON.stringify(outcome)}`;
  expect.soft(outcome.code, label).toBe(2);
  const messages = outcome.lines.filter((line) => line !== HINT);
  expect.soft(messages, label).toHaveLength(1);
  expect.soft(messages[0], label).toContain(c.names);
  expect
    .soft(
      outcome.lines.some((line) => /^\s+at /.test(line)),
      label,
    )
    .toBe(false);
}

/** A bad value per environment variable; free-text variables (any string is valid) are listed apart. */
const BAD_ENV: Record<string, string> = {
  BMS_ADDRESS: "not-an-address",
  MQTT_BROKER: "a host/with slash",
  MQTT_PORT: "70000",
  POLL_INTERVAL: "abc",
  MQTT_TOPIC_PREFIX: "accusolar/#",
  MQTT_TLS: "maybe",
  MQTT_CA_FILE: "/nonexistent/ca.pem",
  MQTT_CLIENT_ID: "x".repeat(129),
  MQTT_QOS: "3",
  HA_DISCOVERY: "perhaps",
  HA_DISCOVERY_PREFIX: "home+assistant",
  BMS_HCI: "bluetooth0",
  BMS_MAX_CONNECTIONS: "0",
  BMS_DISCONNECT_BETWEEN_POLLS: "sometimes",
  BMS_ALLOW_CONTROL: "kinda",
  BMS_ADAPTER_GIVE_UP_AFTER: "soon",
  BMS_BRIDGE_ID: "pi/garage",
  BMS_BANK: "sometimes",
  BMS_MIRROR_HCI: "usb",
  LOG_LEVEL: "loud",
  LOG_JSON: "2",
};
const FREE_TEXT_ENV = new Set([
  "MQTT_USERNAME",
  "MQTT_PASSWORD",
  "BMS_ENERGY_STATE_FILE",
  "BMS_CAPTURE_FILE",
]);

const BAD_FLAGS: Record<string, string[]> = {
  address: ["--address", "tcp:nohost"],
  broker: ["--broker", "ftp://broker"],
  port: ["--port", "0"],
  pollInterval: ["--poll-interval", "0.1"],
  hci: ["--hci", "usb"],
  topicPrefix: ["--topic-prefix", "#"],
  caFile: ["--ca-file", "/nonexistent/ca.pem"],
  clientId: ["--client-id", "y".repeat(129)],
  qos: ["--qos", "high"],
  maxConnections: ["--max-connections", "17"],
  adapterGiveUpAfter: ["--adapter-give-up-after", "0"],
  bridgeId: ["--bridge-id", "pi garage"],
  bank: ["--bank", "yes"],
  mirror: ["--mirror", "usb"],
  logLevel: ["--log-level", "verbose"],
};
/** Switches take no value (nothing malformed to give) and free-text flags accept any string. */
const NO_BAD_VALUE_FLAGS = new Set([
  "tls",
  "haDiscovery",
  "disconnectBetweenPolls",
  "logJson",
  "allowControl",
  "capture",
  "username",
  "password",
]);

/** Config file snippets, one bad key each, and the key path the message must name. */
const BAD_FILE_KEYS: Array<[string, string]> = [
  ["bridge.poll_interval", "bridge:\n  poll_interval: 0"],
  ["bridge.max_connections", "bridge:\n  max_connections: 2.5"],
  ["bridge.connect_timeout", "bridge:\n  connect_timeout: 500"],
  ["bridge.request_timeout", "bridge:\n  request_timeout: -1"],
  ["bridge.request_attempts", "bridge:\n  request_attempts: 0"],
  ["bridge.stale_after_polls", "bridge:\n  stale_after_polls: many"],
  ["bridge.offline_after_polls", "bridge:\n  stale_after_polls: 5\n  offline_after_polls: 2"],
  ["bridge.backoff_max", "bridge:\n  backoff_max: 0"],
  ["bridge.jitter", "bridge:\n  jitter: 0.9"],
  ["bridge.hci", "bridge:\n  hci: 7"],
  ["mirror[0]", "mirror:\n  - usb"],
  ["bridge.energy_state_file", 'bridge:\n  energy_state_file: ""'],
  ["mqtt.queue_limit", "mqtt:\n  queue_limit: 0"],
  ["mqtt.message_expiry", "mqtt:\n  message_expiry: 0"],
  ["bridge.id", "bridge:\n  id: 'a+b'"],
  ["bridge.bank", "bridge:\n  bank: never"],
  ["mqtt.qos", "mqtt:\n  qos: 1.5"],
  ["mqtt.tls", "mqtt:\n  tls: often"],
  ["mqtt.port", "mqtt:\n  port: '1883x'"],
  ["mqtt.broker", "mqtt:\n  broker: ''"],
  ["log.level", "log:\n  level: chatty"],
  ["version", "version: 9"],
  ["batteries", "batteries: A5:C2:37:3C:76:D2"],
  ["batteries[0].address", "batteries:\n  - address: bogus"],
  ["batteries[0].id", "batteries:\n  - address: A5:C2:37:3C:76:D2\n    id: 'a/b'"],
  ["batteries[0].poll_interval", "batteries:\n  - address: A5:C2:37:3C:76:D2\n    poll_interval: 0"],
  ["batteries[1].address", "batteries:\n  - address: A5:C2:37:3C:76:D2\n  - address: a5-c2-37-3c-76-d2"],
  ['"pol_interval"', "bridge:\n  pol_interval: 5"],
  ["not valid YAML", "bridge: [unclosed"],
];

const BAD_EMU: Array<[string, string[]]> = [
  ["--count", ["--tcp", "127.0.0.1:0", "--count", "0"]],
  ["--tcp", ["--tcp", "no-port"]],
  ["--speed", ["--tcp", "127.0.0.1:0", "--speed", "-1"]],
  ["--seed", ["--tcp", "127.0.0.1:0", "--seed", "x"]],
  ['fault "bogus"', ["--tcp", "127.0.0.1:0", "--fault", "bogus"]],
  ['fault "split:0"', ["--tcp", "127.0.0.1:0", "--fault", "split:0"]],
  ["no-such-scenario", ["--tcp", "127.0.0.1:0", "--scenario", "no-such-scenario"]],
  ["--tcp", []],
];

describe("bad input to the bridge and emulator processes", () => {
  it("covers every environment variable and every run flag that can be malformed", () => {
    expect(Object.keys(ENV_VARS).filter((name) => !(name in BAD_ENV) && !FREE_TEXT_ENV.has(name))).toEqual(
      [],
    );
    expect(
      Object.keys(FLAG_MAPPINGS).filter((key) => !(key in BAD_FLAGS) && !NO_BAD_VALUE_FLAGS.has(key)),
    ).toEqual([]);
  });

  it("exits 2 with one line naming the variable, flag or key, for each of them", async () => {
    const cases: Case[] = [
      ...Object.entries(BAD_ENV).map(([name, value]) => ({
        what: `env ${name}`,
        env: { ...BATTERY, [name]: value },
        names: name === "MQTT_CA_FILE" ? "/nonexistent/ca.pem" : name,
      })),
      ...Object.entries(BAD_FLAGS).map(([key, args]) => ({
        what: `flag ${args[0]}`,
        args: ["run", ...args],
        env: BATTERY,
        names: key === "caFile" ? "/nonexistent/ca.pem" : (args[0] as string),
      })),
      ...BAD_FILE_KEYS.map(([key, text], i) => {
        const file = join(dir, `bad-${i}.yaml`);
        writeFileSync(file, text);
        // BMS_ADDRESS would replace the file's battery list, so battery keys go without it
        const env = key.startsWith("batteries") ? {} : BATTERY;
        return { what: `file key ${key}`, args: ["run", "--config", file], env, names: key };
      }),
      { what: "missing config file", args: ["run", "--config", join(dir, "nope.yaml")], names: "nope.yaml" },
      { what: "no battery", args: ["run"], names: "BMS_ADDRESS" },
      { what: "unknown flag", args: ["run", "--frobnicate"], env: BATTERY, names: "--frobnicate" },
      { what: "unknown command", args: ["frobnicate"], env: BATTERY, names: "unknown command 'frobnicate'" },
      {
        what: "flag without its value",
        args: ["run", "--poll-interval"],
        env: BATTERY,
        names: "--poll-interval",
      },
      ...BAD_EMU.map(([names, args]) => ({
        what: `bms-emu ${args.join(" ")}`,
        cli: "bms-emu.ts",
        args,
        names,
      })),
    ];
    const outcomes = await inPairs(
      cases.map((c) => () => runCli(c.cli ?? "bms-bridge.ts", c.args ?? ["run"], c.env ?? {})),
    );
    for (const [i, c] of cases.entries()) expectUsageError(c, outcomes[i] as Outcome);
  }, 900_000);
});

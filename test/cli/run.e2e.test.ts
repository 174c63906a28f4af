/**
 * `bms-bridge run` as a user starts it: invalid env vars, flags and config files exit 2 with the message
 * and no stack trace; a running bridge stops cleanly on SIGTERM (exit 0, bridge state `offline`).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startBroker } from "../../src/broker/broker.js";
import { createMemoryLogger } from "../../src/log/logger.js";

// each spawn compiles the CLI with tsx; on a busy machine that alone can take many seconds
vi.setConfig({ testTimeout: 180_000 });

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/bms-bridge.ts");
const dir = mkdtempSync(join(tmpdir(), "bms-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Only the variables under test: the parent's BMS_ and MQTT_ settings must not leak in. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(BMS_|MQTT_|POLL_INTERVAL|LOG_|HA_)/.test(k)),
  );
  return { ...base, ...env };
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [CLI, ...args],
      { cwd: ROOT, timeout: 120_000, env: cleanEnv(env) },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("bms-bridge run rejects bad input with exit 2, the message and no stack trace", () => {
  it("for environment variables, flags and config files", async () => {
    const typo = file("typo.yaml", "batteries:\n  - address: A5:C2:37:3C:76:D2\nmqtt:\n  brokr: x\n");
    const cases: Array<[string[], Record<string, string>, string]> = [
      [
        ["run"],
        { BMS_ADDRESS: "A5:C2" },
        'bms-bridge: BMS_ADDRESS: "A5:C2" is not a BLE address or serial:/tcp: address\n',
      ],
      [
        ["run"],
        { BMS_ADDRESS: "A5:C2:37:3C:76:D2", MQTT_PORT: "abc", POLL_INTERVAL: "0" },
        'bms-bridge: invalid configuration (2 problems):\n  MQTT_PORT: "abc" is not a number\n  POLL_INTERVAL: 0 must be between 0.5 and 86400 s\n',
      ],
      [
        ["run", "--address", "A5:C2:37:3C:76:D2", "--poll-interval", "soon"],
        {},
        'bms-bridge: --poll-interval: "soon" is not a number\n',
      ],
      [
        ["run", "--config", join(dir, "missing.yaml")],
        {},
        `bms-bridge: --config ${join(dir, "missing.yaml")}: file not found\n`,
      ],
      [["run", "--config", typo], {}, `bms-bridge: ${typo}: mqtt: unknown key "brokr"\n`],
      [
        [],
        {},
        "bms-bridge: BMS_ADDRESS: no battery configured (set BMS_ADDRESS, --address or batteries: in a config file)\n",
      ],
    ];
    // two at a time: the machine running the suite may be busy, and each spawn compiles the CLI
    const runs: Run[] = [];
    for (let i = 0; i < cases.length; i += 2) {
      runs.push(...(await Promise.all(cases.slice(i, i + 2).map(([args, env]) => runCli(args, env)))));
    }
    runs.forEach((run, i) => {
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: cases[i]?.[2] });
      expect(run.stdout).toBe("");
    });
  }, 400_000);

  it("for an unknown flag (commander's own message)", async () => {
    const run = await runCli(["run", "--adress", "x"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--adress'");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("bms-bridge with no command word (run is the default)", () => {
  it("names an unknown first word as an unknown command: one line, exit 2", async () => {
    const run = await runCli(["frobnicate", "--address", "A5:C2:37:3C:76:D2"]);
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({
      code: 2,
      stderr: "bms-bridge: unknown command 'frobnicate' (see bms-bridge --help)\n",
      stdout: "",
    });
  });

  it("still runs the bridge when only options are given", async () => {
    const run = await runCli(["--print-config", "--address", "tcp:gw:8899"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("address: tcp:gw:8899");
  });
});

describe("bms-bridge run --print-config", () => {
  it("prints the effective config as YAML with the password masked", async () => {
    const args = ["run", "--print-config", "-a", "tcp:gw:8899", "--allow-control", "--capture", "c.jsonl"];
    const run = await runCli(args, { MQTT_PASSWORD: "hunter2", POLL_INTERVAL: "7" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("allow_control: true");
    expect(run.stdout).toContain("capture_file: c.jsonl");
    expect(run.stdout).toContain("address: tcp:gw:8899");
    expect(run.stdout).toContain("poll_interval: 7");
    expect(run.stdout).toContain('password: "********"');
    expect(run.stdout).not.toContain("hunter2");
  });
});

describe("bms-bridge run until SIGTERM", () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill("SIGKILL"));

  it("stops cleanly: exit 0 and the bridge state offline", async () => {
    const logger = createMemoryLogger();
    const broker = await startBroker({ hosts: ["127.0.0.1"], port: 0, wsPort: null, logger });
    const gateway = createServer(() => {}); // a TCP "gateway" whose battery never answers
    await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
    const gatewayPort = (gateway.address() as { port: number }).port;
    try {
      const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { protocolVersion: 4 });
      const states: string[] = [];
      sub.on("message", (_t, p) => states.push(p.toString()));
      await sub.subscribeAsync("accusolar/bridge/state");
      let output = "";
      // node --import tsx, not the tsx command: on a busy machine tsx's signal relay kills the child (exit 130)
      child = spawn(process.execPath, ["--import", "tsx", CLI, "run"], {
        cwd: ROOT,
        env: cleanEnv({
          BMS_ADDRESS: `tcp:127.0.0.1:${gatewayPort}`,
          MQTT_BROKER: "127.0.0.1",
          MQTT_PORT: String(broker.ports.mqtt),
        }),
      });
      child.stdout?.on("data", (d) => {
        output += String(d);
      });
      child.stderr?.on("data", (d) => {
        output += String(d);
      });
      const exited = new Promise<number | null>((r) => child?.once("exit", (code) => r(code)));
      const deadline = Date.now() + 90_000;
      while (!states.includes("online") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(states).toContain("online");
      expect(output).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO MQTT connected \(rc=0\)$/m);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      while (states.at(-1) !== "offline" && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(states.at(-1)).toBe("offline");
      expect(output).toContain("SIGTERM received, stopping");
      await sub.endAsync();
    } finally {
      gateway.close();
      await broker.close();
    }
  }, 180_000);
});

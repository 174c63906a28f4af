/**
 * The package as a user installs it: `npm pack` (prepack builds), the tarball's contents, a GLOBAL install
 * into an empty prefix with the README's command (npm's cache is warm after `npm ci`), then every command
 * from that install: --version, decode, demo, bms-emu, scan/discover through the installed native BLE
 * modules (over the virtual lab, started with the installed `bms-vble`), and the docs/api.md example
 * against the installed library.
 */
import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { labUnavailableReason } from "../../scripts/vble/lab.js";
import { BRIDGE_NODE_FLAGS } from "../../src/service/node-flags.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { spawnWatched, type WatchedProcess } from "../support/watched-process.js";
import { type PackedInstall, packAndInstallGlobally } from "./support/packed-install.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 300_000 });

const execFileAsync = promisify(execFile);
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
};

let installed: PackedInstall;
const started: WatchedProcess[] = [];

beforeAll(async () => {
  installed = await packAndInstallGlobally();
  process.stderr.write(
    `[package] ${installed.files.length} files, ${installed.size} bytes packed, installed into ${installed.prefix}\n`,
  );
});

afterAll(async () => {
  for (const child of started) await child.stop("SIGKILL");
  installed?.remove();
});

async function runInstalled(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(installed.bin(bin), args, {
      cwd: installed.work,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

function spawnInstalled(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): WatchedProcess {
  const child = spawnWatched(installed.bin(bin), args, {
    name: bin,
    cwd: installed.work,
    env: { ...process.env, ...env },
  });
  started.push(child);
  return child;
}

/** Allowed in the tarball; anything else (src/, test/, source maps, benches, docs) is a packaging bug. */
const ALLOWED = [
  /^dist\/.+\.(js|d\.ts)$/,
  /^fixtures\/scenarios\/[^/]+\.yaml$/,
  /^fixtures\/scenarios\/captures\/[^/]+$/,
  /^scripts\/vble\/af-alg-shim\.c$/,
  /^web\/console\/[^/]+\.(html|css|js)$/,
  /^(package\.json|npm-shrinkwrap\.json|README\.md|CHANGELOG\.md|LICENSE)$/,
];

describe("the packed tarball", () => {
  it("holds what the commands, the scenarios, the console and the lab need, and nothing else", () => {
    const paths = installed.files.map((file) => file.path);
    expect(paths.filter((path) => !ALLOWED.some((re) => re.test(path)))).toEqual([]);
    const needed = [
      ...Object.values(PACKAGE.bin),
      "dist/index.js",
      "dist/index.d.ts",
      "dist/testing/index.js",
      "dist/testing/index.d.ts",
      "dist/vble/lab.js",
      "scripts/vble/af-alg-shim.c",
      "npm-shrinkwrap.json",
      "CHANGELOG.md",
      "LICENSE",
      ...readdirSync(join(REPO_ROOT, "web/console")).map((name) => `web/console/${name}`),
      ...readdirSync(join(REPO_ROOT, "fixtures/scenarios"))
        .filter((name) => name.endsWith(".yaml"))
        .map((name) => `fixtures/scenarios/${name}`),
    ];
    expect(needed.filter((path) => !paths.includes(path))).toEqual([]);
  });

  it("installs globally with the README's command and leaves no install script unreviewed", () => {
    // npm 11 lists dependencies whose install scripts were not covered by --allow-scripts
    expect(installed.installOutput).not.toMatch(/install-scripts/);
    for (const bin of Object.keys(PACKAGE.bin))
      expect(readdirSync(join(installed.prefix, "bin"))).toContain(bin);
  });
});

describe("the installed commands", () => {
  it("report the package.json version", async () => {
    for (const bin of ["bms-bridge", "bms-emu"]) {
      const { code, stdout } = await runInstalled(bin, ["--version"]);
      expect({ bin, code, version: stdout.trim() }).toEqual({ bin, code: 0, version: PACKAGE.version });
    }
  });

  it("decode a reply pasted as hex", async () => {
    const hex =
      "DD 03 00 22 05 5F 00 00 4A DF 4E 20 00 02 2D 14 00 00 00 00 00 00 23 60 03 04 01 0B B1 00 00 00 4E 20 4A DF 00 00 FA C2 77";
    const { code, stdout } = await runInstalled("bms-bridge", ["decode", "--json", hex]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/"voltage_v":13\.75/);
  });

  it("run the demo: embedded broker, emulated battery, bridge and console, stopped by SIGINT", async () => {
    const demo = spawnInstalled("bms-bridge", [
      ...["demo", "--port", "0", "--no-ws", "--poll-interval", "1"],
      ...["--console", "127.0.0.1:0"],
    ]);
    const consoleLine = await demo.waitForLine(/console\s+http:\/\/127\.0\.0\.1:\d+\//, 60_000);
    await demo.waitForLine(/INFO Published → [\d.]+V \| [-\d.]+A \| SoC \d+%/, 60_000);
    // the console's page is served from the files the package ships (web/console)
    const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(consoleLine)?.[1] as string;
    for (const file of ["", "console.js", "console.css"])
      expect((await fetch(`${url}${file}`)).status).toBe(200);
    expect(await demo.stop("SIGINT")).toBe(0);
  });

  it("check the configuration with the worker the build bundles: every problem listed, exit 2", async () => {
    // dist/config/load-worker.js is an esbuild bundle (package.json "build"), not tsc's output
    const { code, stdout, stderr } = await runInstalled("bms-bridge", ["run"], {
      BMS_ADDRESS: "A5:C2:37:3C:76:D2",
      MQTT_PORT: "70000",
      POLL_INTERVAL: "abc",
    });
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toMatch(/MQTT_PORT/);
    expect(stderr).toMatch(/POLL_INTERVAL/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("bms-emu lists the bundled scenarios and answers a read request over TCP", async () => {
    const list = await runInstalled("bms-emu", ["--list-scenarios"]);
    const bundled = readdirSync(join(REPO_ROOT, "fixtures/scenarios"))
      .filter((name) => name.endsWith(".yaml"))
      .map((name) => name.replace(/\.yaml$/, ""));
    for (const name of bundled) expect(list.stdout).toMatch(new RegExp(`^${name}\\s`, "m"));
    const emu = spawnInstalled("bms-emu", ["--tcp", "127.0.0.1:0", "--scenario", "imbalance", "--quiet"]);
    const line = await emu.waitForLine(/tcp 127\.0\.0\.1:\d+/, 60_000);
    const port = Number(/tcp 127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
    const reply = await readOnce(port, Buffer.from([0xdd, 0xa5, 0x03, 0x00, 0xff, 0xfd, 0x77]));
    expect([...reply.subarray(0, 3)]).toEqual([0xdd, 0x03, 0x00]);
    expect(await emu.stop("SIGINT")).toBe(0);
  });

  it("service print: the unit runs the command's link in npm's bin directory, so updates need no new unit", async () => {
    const { code, stdout } = await runInstalled("bms-bridge", [
      "service",
      "print",
      "--address",
      "A5:C2:37:3C:76:D2",
      "--user",
      "pi",
    ]);
    expect(code).toBe(0);
    const flags = BRIDGE_NODE_FLAGS.join(" ");
    expect(stdout).toContain(`\nExecStart=${process.execPath} ${flags} ${installed.bin("bms-bridge")} run\n`);
  });

  it("scan loads the installed native BLE modules (this machine has no adapter: a clear failure)", async () => {
    const { code, stderr } = await runInstalled("bms-bridge", ["scan", "--timeout", "1"]);
    expect(stderr).not.toMatch(/cannot load|Cannot find module|was compiled against/);
    // exit 1 with the adapter named (no adapter here), or 0 on a machine that has one
    if (code !== 0)
      expect({ code, stderr }).toMatchObject({ code: 1, stderr: expect.stringMatching(/hci0/) });
  });
});

describe("bms-bridge doctor from the install", () => {
  it("prints every check as JSON and exits 1 for what fails on this machine", async () => {
    const { code, stdout } = await runInstalled("bms-bridge", ["doctor", "--json", "--scan-timeout", "1"], {
      BMS_ADDRESS: "A5:C2:37:3C:76:D2",
      MQTT_PORT: "1",
    });
    const report = JSON.parse(stdout) as { ok: boolean; checks: Array<{ id: string; status: string }> };
    expect(report.checks.map((check) => check.id)).toEqual([
      "node",
      "config",
      "service",
      "adapter",
      "permission",
      "bluez",
      "scan",
      "broker",
    ]);
    // nothing listens on port 1: the broker check fails wherever this runs
    expect(report.checks.find((check) => check.id === "broker")?.status).toBe("fail");
    expect({ ok: report.ok, code }).toEqual({ ok: false, code: 1 });
  });
});

describe("BLE from the install, over the virtual lab started with the installed bms-vble", () => {
  it("scan finds the installed emulator and discover lists its FF00 service", async (ctx) => {
    const missing = await labUnavailableReason();
    if (missing) {
      if (process.env.CI === "true") throw new Error(`virtual BLE lab unavailable under CI=true: ${missing}`);
      ctx.skip(`virtual BLE lab unavailable: ${missing}`);
    }
    // its own TMPDIR: the lab's state file and pty folder stay apart from any lab a person started
    const tmp = mkdtempSync(join(tmpdir(), "bms-vble-pkg-"));
    const env = { TMPDIR: tmp };
    try {
      const start = await runInstalled("bms-vble", ["start", "2"], env);
      expect(start).toMatchObject({ code: 0 });
      const ptys = [...start.stdout.matchAll(/--hci (uart:\S+)/g)].map((m) => m[1] as string);
      expect(ptys).toHaveLength(2);
      const [central, peripheral] = ptys as [string, string];
      const emu = spawnInstalled("bms-emu", ["--hci", peripheral, "--quiet"], env);
      await emu.waitForLine(/DP04S007L4S200A serving ble/, 60_000);
      const scan = await runInstalled(
        "bms-bridge",
        ["scan", "--hci", central, "--timeout", "3", "--json"],
        env,
      );
      expect(scan).toMatchObject({ code: 0 });
      const found = (JSON.parse(scan.stdout) as Array<{ address: string; name: string | null }>).find(
        (device) => device.name === "DP04S007L4S200A",
      );
      expect(found).toBeDefined();
      const discover = await runInstalled(
        "bms-bridge",
        ["discover", found?.address ?? "", "--hci", central, "--timeout", "20", "--json"],
        env,
      );
      expect(discover).toMatchObject({ code: 0, stdout: expect.stringMatching(/ff00/i) });
      await emu.stop("SIGINT");
    } finally {
      await runInstalled("bms-vble", ["stop"], env);
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("the library, imported from the installed package", () => {
  it("runs the docs/api.md example and prints what the doc says", async () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/api.md"), "utf8");
    const example = /<!-- example: run by [^>]+-->\s*```js\n([\s\S]*?)```/.exec(doc)?.[1];
    const printed = /It prints:\s*```\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(printed).toBeDefined();
    const app = join(installed.work, "app");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    symlinkSync(installed.packageDir, join(app, "node_modules/bms-bridge"), "dir");
    writeFileSync(join(app, "example.mjs"), example as string);
    const { stdout } = await execFileAsync(process.execPath, ["example.mjs"], { cwd: app, timeout: 60_000 });
    expect(stdout).toBe(printed);
  });

  it("is typed: a TypeScript user's imports of both entries type-check against the installed .d.ts", async () => {
    const app = join(installed.work, "typed");
    mkdirSync(join(app, "node_modules/@types"), { recursive: true });
    symlinkSync(installed.packageDir, join(app, "node_modules/bms-bridge"), "dir");
    symlinkSync(join(REPO_ROOT, "node_modules/@types/node"), join(app, "node_modules/@types/node"), "dir");
    writeFileSync(join(app, "package.json"), '{ "type": "module" }\n');
    writeFileSync(
      join(app, "use.ts"),
      [
        'import { type BridgeConfig, connectBattery, decodeBasicInfo, loadConfig } from "bms-bridge";',
        'import { ManualClock } from "bms-bridge/testing";',
        'const config: BridgeConfig = loadConfig({ env: { BMS_ADDRESS: "tcp:127.0.0.1:8899" } });',
        "const connected: Promise<{ close(): Promise<void> }> = connectBattery(config.batteries[0]?.address ?? '');",
        "const decoded = decodeBasicInfo(new Uint8Array());",
        "const volts: number | undefined = decoded.ok ? decoded.value.voltageV : undefined;",
        "// @ts-expect-error a wrong type must be reported, or this check proves nothing",
        "const wrong: string = new ManualClock().now();",
        "export { connected, volts, wrong };",
        "",
      ].join("\n"),
    );
    const tsc = join(REPO_ROOT, "node_modules/typescript/bin/tsc");
    const args = [
      "--noEmit",
      "--skipLibCheck",
      "--strict",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
    ];
    const result = await execFileAsync(process.execPath, [tsc, ...args, "--target", "es2022", "use.ts"], {
      cwd: app,
    }).then(
      () => ({ code: 0, output: "" }),
      (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
    );
    expect(result).toEqual({ code: 0, output: "" });
  });
});

function readOnce(port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply on port ${port}`));
    }, 10_000);
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.includes(0x77)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("error", reject);
  });
}

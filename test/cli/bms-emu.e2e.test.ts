/**
 * `bms-emu` end to end: the real CLI is spawned (tsx), a raw TCP client talks to it, and it stops with
 * exit code 0 on SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { connectBattery } from "../../src/connect.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/bms-emu.ts");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

describe("bms-emu CLI", () => {
  it("--list-scenarios lists every bundled scenario", async () => {
    const { code, stdout } = await run(["--list-scenarios"]);
    expect(code).toBe(0);
    for (const name of [
      "idle",
      "discharge",
      "charge",
      "imbalance",
      "cell-drift",
      "overtemp",
      "undervoltage",
      "replay",
    ])
      expect(stdout).toMatch(new RegExp(`^${name}\\s+\\S`, "m"));
  });

  it.each([
    [["--bogus"], "unknown option"],
    [["--tcp", "127.0.0.1:0", "--speed", "fast"], "--speed"],
    [["--tcp", "127.0.0.1:99999"], "invalid port"],
    [["--tcp", "127.0.0.1:0", "--fault", "explode:1"], "unknown kind"],
    [["--tcp", "127.0.0.1:0", "--scenario", "nope"], "unknown scenario"],
    [[], "nothing to serve"],
  ])("%j exits 2 with one line naming the problem", async (args, problem) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain(problem);
  });

  it("serves a battery on --tcp 127.0.0.1:0 and its console, answers a raw client, stops on SIGTERM", async () => {
    // node --import tsx, not the tsx command: on a busy machine tsx's signal relay kills the child (exit 130)
    const proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        CLI,
        ...["--tcp", "127.0.0.1:0", "--scenario", "discharge", "--mac", "A5:C2:37:3C:76:D2"],
        ...["--console", "127.0.0.1:0"],
      ],
      { cwd: ROOT },
    );
    child = proc;
    let stdout = "";
    proc.stdout.on("data", (d) => {
      stdout += String(d);
    });
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
    for (let i = 0; i < 300 && !/SoC \d+%/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
    const port = Number(/serving tcp 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(stdout).toMatch(/#1 A5:C2:37:3C:76:D2 .*SoC 71% 13\.45V \+9\.93A/);

    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.write(Buffer.from("DDA50400FFFC77", "hex")));
      let data = Buffer.alloc(0);
      socket.on("data", (d) => {
        data = Buffer.concat([data, d]);
        if (data.length >= 15) {
          socket.destroy();
          resolve(data);
        }
      });
      socket.on("error", reject);
    });
    expect(reply.subarray(0, 4)).toEqual(Buffer.from("DD040008", "hex"));
    expect(reply.at(-1)).toBe(0x77);

    // the console: PATCH current_a, and the project's client reads it in the next 0x03
    const consoleUrl = /bms-emu: console (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1] as string;
    const answer = await fetch(`${consoleUrl}api/batteries/1`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ current_a: -50 }),
    });
    expect(answer.status).toBe(200);
    const jbd = await connectBattery(`tcp:127.0.0.1:${port}`);
    try {
      expect((await jbd.client.readBasicInfo()).currentA).toBe(-50);
    } finally {
      await jbd.close();
    }

    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stdout).toContain("bms-emu: stopped");
  });
});

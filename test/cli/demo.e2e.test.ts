/**
 * `bms-bridge demo` spawned as `npm start` runs it: the banner, the original Python bridge's log lines, retained telemetry on
 * the embedded broker, a clean exit on SIGINT, and a busy port reported with the flag to change it.
 */
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { describe, expect, it, vi } from "vitest";

// each spawn compiles the CLI with tsx; on a busy machine that alone can take many seconds
vi.setConfig({ testTimeout: 180_000 });

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/bms-bridge.ts");

/** The demo as `npm start` runs it; `output()` is everything it printed so far. */
function startDemo(args: string[]) {
  // node --import tsx, not the tsx command: on a busy machine tsx's signal relay kills the child (exit 130)
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "demo", ...args], { cwd: ROOT });
  let text = "";
  child.stdout.on("data", (d) => {
    text += String(d);
  });
  child.stderr.on("data", (d) => {
    text += String(d);
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => text, exited };
}

describe("bms-bridge demo", () => {
  it("serves emulated batteries through the embedded broker and stops on SIGINT", async () => {
    const { child, output, exited } = startDemo([
      ...["--count", "3", "--port", "0", "--no-ws", "--poll-interval", "1"],
      ...["--console", "127.0.0.1:0"],
    ]);
    try {
      const started = Date.now() + 90_000;
      while (!/Published →/.test(output()) && Date.now() < started)
        await new Promise((r) => setTimeout(r, 50));
      const port = Number(/broker\s+mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(output())?.[1]);
      expect(port).toBeGreaterThan(0);
      expect(output()).toContain(`watch       mosquitto_sub -h localhost -p ${port} -t 'accusolar/#' -v`);
      expect(output()).toContain(
        `control     mosquitto_pub -h localhost -p ${port} -t 'accusolar/emu/1/set/current_a' -m -50`,
      );
      const consoleUrl = /console\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output())?.[1] as string;
      const batteries = (await (await fetch(`${consoleUrl}api/batteries`)).json()) as Array<{ n: number }>;
      expect(batteries.map((b) => b.n)).toEqual([1, 2, 3]);
      expect(output()).toMatch(
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO \[\d\] Published → [\d.]+V \| [-\d.]+A \| SoC \d+% \|/m,
      );
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
      const seen = new Map<string, string>();
      client.on("message", (t, p) => seen.set(t, p.toString()));
      await client.subscribeAsync("accusolar/#");
      const deadline = Date.now() + 30_000;
      while (
        // the bank on the plain topics follows the batteries' own topics by up to one coalescing window
        !(
          ["1", "2", "3"].every((id) => seen.has(`accusolar/battery/${id}/soc`)) &&
          seen.has("accusolar/battery/voltage")
        ) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Number(seen.get("accusolar/battery/voltage"))).toBeGreaterThan(10);
      expect(seen.get("accusolar/bridge/state")).toBe("online");
      // the demo's MQTT control: battery 2 draws 50 A, and the bridge publishes what it then reads
      await client.publishAsync("accusolar/emu/2/set/current_a", "-50");
      const published = Date.now() + 30_000;
      while (seen.get("accusolar/battery/2/current") !== "-50.00" && Date.now() < published)
        await new Promise((r) => setTimeout(r, 50));
      expect(seen.get("accusolar/battery/2/current")).toBe("-50.00");
      await client.endAsync();
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 180_000);

  it("keeps running when the console's port is taken, and says so in one line", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const busy = (blocker.address() as { port: number }).port;
    const { child, output, exited } = startDemo(["--port", "0", "--no-ws", "--console", `127.0.0.1:${busy}`]);
    try {
      const started = Date.now() + 90_000;
      while (!/Published →/.test(output()) && Date.now() < started)
        await new Promise((r) => setTimeout(r, 50));
      const lines = output()
        .split("\n")
        .filter((l) => l.includes(`${busy}`));
      expect(lines).toEqual([
        `  console     not started: console 127.0.0.1:${busy} is already in use (choose another with --console HOST:PORT)`,
      ]);
      expect(output()).toMatch(/INFO Published → /);
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      blocker.close();
    }
  }, 180_000);

  it("reports a busy broker port and suggests --port", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          TSX,
          [CLI, "demo", "--port", String(port), "--no-ws"],
          { cwd: ROOT, timeout: 120_000 },
          (error, _out, stderr) =>
            resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stderr }),
        );
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`MQTT port ${port} on 127.0.0.1 is already in use`);
      expect(run.stderr).toContain("choose another with --port");
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 180_000);
});

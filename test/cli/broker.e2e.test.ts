/** `bms-bridge broker` spawned for real: it serves MQTT until SIGINT, and fails with one clear line. */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../../src/testing/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = join(ROOT, "src/cli/bms-bridge.ts");

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function runBroker(args: string[]): Spawned {
  // node --import tsx, not the tsx command: on a busy machine tsx's signal relay kills the child (exit 130)
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "broker", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitFor(read: () => string, text: string, exit: Promise<unknown>): Promise<void> {
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  while (!read().includes(text)) {
    if (exited) throw new Error(`exited before printing "${text}": ${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("bms-bridge broker", () => {
  it("serves MQTT on loopback until SIGINT, then exits 0", async () => {
    const port = await freeLoopbackPort();
    const broker = runBroker(["--port", String(port), "--no-ws", "--host", "127.0.0.1"]);
    await waitFor(broker.stdout, "MQTT broker listening on", broker.exit);
    expect(broker.stdout()).toContain(`mqtt://127.0.0.1:${port}`);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await client.publishAsync("accusolar/battery/soc", "71", { qos: 1, retain: true });
    await client.endAsync();
    broker.child.kill("SIGINT");
    expect(await broker.exit).toBe(0);
    expect(broker.stdout()).toContain("broker stopped");
  });

  it("a busy port fails with one line naming the port", async () => {
    const port = await freeLoopbackPort();
    const first = runBroker(["--port", String(port), "--no-ws", "--host", "127.0.0.1"]);
    await waitFor(first.stdout, "MQTT broker listening on", first.exit);
    const second = runBroker(["--port", String(port), "--no-ws", "--host", "127.0.0.1"]);
    expect(await second.exit).toBe(1);
    const lines = second.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`port ${port}`);
    expect(lines[0]).toContain("already in use");
    first.child.kill("SIGINT");
    expect(await first.exit).toBe(0);
  });

  it("refuses to expose the broker without a login (exit 2, one line)", async () => {
    const broker = runBroker(["--host", "0.0.0.0", "--port", "0", "--no-ws"]);
    expect(await broker.exit).toBe(2);
    expect(broker.stderr().trim()).toBe(
      "bms-bridge: refusing to expose the broker on 0.0.0.0 without credentials: add --username and --password",
    );
  });
});

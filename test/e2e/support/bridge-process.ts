/**
 * Runs the bridge as a child PROCESS (`bms-bridge run --config <file>`, the real CLI) with a YAML config
 * written to a temp dir, and keeps every line it prints, so suites can count log lines and check
 * that it is still running. Everything started here is killed by PID in stop(), or at exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, "../../..");
const CLI = join(REPO_ROOT, "src/cli/bms-bridge.ts");

export interface BridgeProcess {
  readonly pid: number;
  /** Lines printed so far (stdout and stderr). */
  lines(): string[];
  /** True while the process has not exited. */
  running(): boolean;
  exitCode(): number | null;
  /** Waits until a printed line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait; SIGKILL after 5 s. Removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL at once (a crash). */
  kill(): Promise<void>;
}

const LIVE = new Set<ChildProcess>();
let hooked = false;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once("exit", () => done()));
}

/** Starts a bridge with this config (snake_case, as in a config file). */
export function startBridgeProcess(
  config: Record<string, unknown>,
  env: Record<string, string> = {},
  args: string[] = [],
): BridgeProcess {
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const child of LIVE) child.kill("SIGKILL");
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "bms-e2e-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", "--config", file, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  LIVE.add(child);
  child.once("exit", () => LIVE.delete(child));
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  const take = (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const wake of [...waiters]) wake();
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const hard = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited(child);
      clearTimeout(hard);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    pid: child.pid ?? -1,
    lines: () => [...lines],
    running: () => child.exitCode === null && child.signalCode === null,
    exitCode: () => child.exitCode,
    waitForLine: (pattern, timeoutMs = 20_000) =>
      new Promise((done, fail) => {
        const check = () => {
          const line = lines.find((l) => pattern.test(l));
          if (line === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          done(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(
            new Error(`bridge printed no line matching ${pattern} in ${timeoutMs} ms:\n${lines.join("\n")}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

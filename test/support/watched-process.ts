/**
 * A child process whose every printed line (stdout and stderr) is kept, so a test can wait for a line,
 * count lines and stop it cleanly. Every process started here is killed by PID in stop(), or at exit.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

export interface WatchedProcess {
  readonly pid: number;
  /** Lines printed so far (stdout and stderr). */
  lines(): string[];
  /** True while the process has not exited. */
  running(): boolean;
  exitCode(): number | null;
  /** Waits until a printed line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGTERM) and waits; SIGKILL after 5 s. Resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL at once (a crash). */
  kill(): Promise<void>;
}

const LIVE = new Set<ChildProcess>();
let hooked = false;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once("exit", () => done()));
}

export function spawnWatched(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { name?: string; onEnd?: () => void } = {},
): WatchedProcess {
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const child of LIVE) child.kill("SIGKILL");
    });
  }
  const { name = command, onEnd, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] });
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
    onEnd?.();
    return child.exitCode;
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
            new Error(`${name} printed no line matching ${pattern} in ${timeoutMs} ms:\n${lines.join("\n")}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: (signal = "SIGTERM") => end(signal),
    kill: async () => {
      await end("SIGKILL");
    },
  };
}

/**
 * Drives a real CLI in a real terminal: a detached tmux session runs the command, the test reads the
 * screen (capture-pane) and types (send-keys). For interactive commands such as `bms-bridge setup`.
 */
import { execFileSync, spawnSync } from "node:child_process";

/** Why tmux tests cannot run here, or undefined. With CI=true a missing tmux is an error, not a skip. */
export function tmuxSkipReason(): string | undefined {
  const ok = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;
  if (ok) return undefined;
  if (process.env.CI === "true") throw new Error("tmux is required when CI=true (apt install tmux)");
  process.stderr.write("[tmux] tmux not installed: skipping terminal tests\n");
  return "tmux not installed";
}

export interface TmuxSession {
  screen(): string;
  /** Waits until the screen matches, or throws with the screen after `timeoutMs`. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  type(text: string): void;
  kill(): void;
}

let counter = 0;

export function startTmux(command: string, cwd: string): TmuxSession {
  const name = `bms-test-${process.pid}-${++counter}`;
  // a shell that stays open after the command so its exit code can be read from the screen
  const script = `${command}; echo "[exit $?]"; sleep 600`;
  execFileSync("tmux", ["new-session", "-d", "-s", name, "-x", "220", "-y", "60", "-c", cwd, script]);
  const screen = () =>
    execFileSync("tmux", ["capture-pane", "-p", "-J", "-S", "-500", "-t", name], { encoding: "utf8" });
  return {
    screen,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = screen();
        if (typeof pattern === "string" ? text.includes(pattern) : pattern.test(text)) return text;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    type(text) {
      execFileSync("tmux", ["send-keys", "-t", name, "-l", text]);
      execFileSync("tmux", ["send-keys", "-t", name, "Enter"]);
    },
    kill() {
      spawnSync("tmux", ["kill-session", "-t", name]);
    },
  };
}

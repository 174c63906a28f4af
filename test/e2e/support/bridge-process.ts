/**
 * Runs the bridge as a child PROCESS (`bms-bridge run --config <file>`, the real CLI) with a YAML config
 * written to a temp dir, and keeps every line it prints, so suites can count log lines and check
 * that it is still running (test/support/watched-process.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { REPO_ROOT } from "../../support/repo-root.js";
import { spawnWatched, type WatchedProcess } from "../../support/watched-process.js";

const CLI = join(REPO_ROOT, "src/cli/bms-bridge.ts");

export type BridgeProcess = Omit<WatchedProcess, "stop"> & {
  /** SIGTERM and wait; SIGKILL after 5 s. Removes the temp dir. */
  stop(): Promise<void>;
};

/** Starts a bridge with this config (snake_case, as in a config file). */
export function startBridgeProcess(
  config: Record<string, unknown>,
  env: Record<string, string> = {},
  args: string[] = [],
): BridgeProcess {
  const dir = mkdtempSync(join(tmpdir(), "bms-e2e-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, stringify(config));
  const watched = spawnWatched(process.execPath, ["--import", "tsx", CLI, "run", "--config", file, ...args], {
    name: "bridge",
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    onEnd: () => rmSync(dir, { recursive: true, force: true }),
  });
  return {
    ...watched,
    stop: async () => {
      await watched.stop();
    },
  };
}

/**
 * Shared by the process benchmarks: start `bms-bridge run` as its own process (the built dist/ when
 * present, as installed, with the node flags of its first line; else the TypeScript sources through tsx)
 * with a YAML config, and read its CPU time and peak memory from /proc (Linux).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

const BUILT = "dist/cli/bms-bridge.js";
const SOURCE = "src/cli/bms-bridge.ts";

/**
 * The node flags on the command's first line (`#!/usr/bin/env -S node <flags>`): an installed
 * `bms-bridge` (and the systemd unit) runs with them, so the bench does too.
 */
export function commandNodeFlags(file: string): string[] {
  const firstLine = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  const match = /^#!\S*env -S node\b(.*)$/.exec(firstLine);
  return match?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

export interface BridgeRun {
  child: ChildProcess;
  pid: number;
  /** How it was started, for the report. */
  how: "dist" | "tsx";
  lines: string[];
  stop(): Promise<void>;
}

export function startBridge(config: Record<string, unknown>): BridgeRun {
  const dir = mkdtempSync(join(tmpdir(), "bms-bench-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, stringify(config));
  const how = existsSync(BUILT) ? "dist" : "tsx";
  const entry =
    how === "dist"
      ? [...commandNodeFlags(BUILT), BUILT]
      : [...commandNodeFlags(SOURCE), "--import", "tsx", SOURCE];
  const child = spawn(process.execPath, [...entry, "run", "--config", file], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    pid: child.pid ?? -1,
    how,
    lines,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const hard = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(hard);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // the command name (field 2) may contain spaces: split after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / CLOCK_TICKS;
}

/** Linux's USER_HZ is 100 on every architecture Node supports. */
const CLOCK_TICKS = 100;

/** Peak resident set size (VmHWM) in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at] ?? Number.NaN;
}

export const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * Runs the checks in order (a later check may depend on an earlier one: the scan needs the adapter and
 * the permission, and stays off the batteries while the service holds them) and renders the report:
 * one line per check, the fix under each failure, or JSON for scripts.
 */
import { adapterCheck } from "./checks/adapter.js";
import { bluezCheck } from "./checks/bluez.js";
import { brokerCheck } from "./checks/broker.js";
import { configCheck } from "./checks/config.js";
import { nodeCheck } from "./checks/node.js";
import { permissionCheck } from "./checks/permission.js";
import { scanCheck } from "./checks/scan.js";
import { serviceCheck } from "./checks/service.js";
import type { Check, CheckResult, CheckStatus, ConfigOutcome, DoctorOptions, DoctorSystem } from "./types.js";

export const CHECKS: readonly Check[] = [
  nodeCheck,
  configCheck,
  serviceCheck,
  adapterCheck,
  permissionCheck,
  bluezCheck,
  scanCheck,
  brokerCheck,
];

export interface DoctorReport {
  /** True when no check failed (skips and warnings do not fail the run). */
  ok: boolean;
  results: Array<CheckResult & { title: string }>;
}

export async function runDoctor(
  system: DoctorSystem,
  config: ConfigOutcome,
  options: DoctorOptions,
  checks: readonly Check[] = CHECKS,
): Promise<DoctorReport> {
  const earlier = new Map<string, CheckResult>();
  const results: DoctorReport["results"] = [];
  for (const check of checks) {
    const result = await check.run({ system, config, options, earlier }).catch(
      (error: unknown): CheckResult => ({
        id: check.id,
        status: "fail",
        summary: `the check itself failed: ${error instanceof Error ? error.message : String(error)}`,
        fix: "run again with BMS_DEBUG=1 and report it",
      }),
    );
    earlier.set(check.id, result);
    results.push({ ...result, title: check.title });
  }
  return { ok: results.every((result) => result.status !== "fail"), results };
}

const MARKS: Record<CheckStatus, string> = { pass: "ok  ", fail: "FAIL", warn: "warn", skip: "skip" };

export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.results.map((result) => result.title.length));
  const lines: string[] = [];
  for (const result of report.results) {
    lines.push(`${MARKS[result.status]}  ${result.title.padEnd(width)}  ${result.summary}`);
    const indent = " ".repeat(width + 8);
    for (const detail of result.details ?? []) lines.push(`${indent}${detail}`);
    if (result.fix) lines.push(`${indent}fix: ${result.fix}`);
  }
  const failed = report.results.filter((result) => result.status === "fail").length;
  lines.push(
    report.ok
      ? "all checks passed (skips and warnings do not fail)"
      : `${failed} check(s) failed: exit code 1`,
  );
  return `${lines.join("\n")}\n`;
}

export function reportJson(report: DoctorReport): string {
  return `${JSON.stringify({ ok: report.ok, checks: report.results }, null, 2)}\n`;
}

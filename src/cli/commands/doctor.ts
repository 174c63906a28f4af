/**
 * `bms-bridge doctor [--json]`: checks what the bridge needs on this machine, one line per check with the
 * fix for each failure. Takes the same configuration flags, environment and --config file as `run`.
 * Exit code 0 when no check failed (a skipped or warned check does not fail), 1 otherwise, 2 for bad flags.
 */
import type { Command } from "commander";
import type { ConfigOutcome } from "../../doctor/types.js";
import { isBmsError } from "../../errors.js";
import { addConfigOptions, configFromCommand } from "../config-options.js";
import { EXIT_FAILURE, EXIT_OK } from "../run-cli.js";
import { parseSeconds } from "./ble-options.js";

interface DoctorFlags extends Record<string, unknown> {
  json?: boolean;
  scanTimeout: string;
  service: boolean;
  hci?: string;
}

/** The loader `run` uses; a configuration problem is a failed check here, not a usage error. */
async function loadForDoctor(flags: DoctorFlags): Promise<ConfigOutcome> {
  try {
    return { ok: true, config: await configFromCommand(flags, { env: process.env }) };
  } catch (error) {
    if (!isBmsError(error, "CONFIG_INVALID")) throw error;
    const problems = error.context.problems;
    return { ok: false, problems: Array.isArray(problems) ? problems.map(String) : [error.message] };
  }
}

export function registerDoctor(program: Command): void {
  const command = program
    .command("doctor")
    .description(
      "check Node.js, the configuration, Bluetooth, the broker and the service; a fix for each failure",
    )
    .option("--json", "print the results as JSON")
    .option("--scan-timeout <seconds>", "how long to scan for the configured batteries", "5")
    .option("--no-service", "the bridge does not run as the systemd service here: skip that check");
  addConfigOptions(command).action(async (flags: DoctorFlags) => {
    const scanTimeoutMs = parseSeconds(flags.scanTimeout, "--scan-timeout") * 1000;
    const config = await loadForDoctor(flags);
    // commands load what they run: `bms-bridge run` never loads the doctor (or its MQTT client)
    const { formatReport, reportJson, runDoctor } = await import("../../doctor/doctor.js");
    const { realDoctorSystem } = await import("../../doctor/system.js");
    const report = await runDoctor(realDoctorSystem(), config, {
      scanTimeoutMs,
      brokerTimeoutMs: 5000,
      service: flags.service,
      fallbackHci: flags.hci ?? process.env.BMS_HCI ?? "native",
    });
    process.stdout.write(flags.json ? reportJson(report) : formatReport(report));
    process.exitCode = report.ok ? EXIT_OK : EXIT_FAILURE;
  });
}

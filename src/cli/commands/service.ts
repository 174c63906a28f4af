/**
 * `bms-bridge service print|install`: the systemd unit of the Accu-Solar BMS setup guide (plus the capabilities noble needs), made
 * from the effective configuration. `install` writes the unit and prints the systemctl commands; it runs
 * them only with --enable. On Windows both print the scheduled-task commands instead.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { promisify } from "node:util";
import type { Command } from "commander";
import type { BridgeConfig } from "../../config/config.js";
import { BmsError } from "../../errors.js";
import {
  UNIT_PATH as DEFAULT_UNIT_PATH,
  renderSystemdUnit,
  renderWindowsTask,
  SERVICE_NAME,
  type ServiceTarget,
  systemdNextSteps,
} from "../../service/systemd-units.js";
import { addConfigOptions, configFromCommand } from "../config-options.js";

interface ServiceFlags extends Record<string, unknown> {
  user?: string;
  workingDirectory?: string;
  output?: string;
  enable?: boolean;
  config?: string;
}

export function registerService(program: Command): void {
  const service = program
    .command("service")
    .description("print or install the systemd unit (Windows: scheduled task)");
  const shared = (command: Command): Command =>
    addConfigOptions(command)
      .option("--user <name>", "user the service runs as (default: the invoking user)")
      .option("--working-directory <dir>", "working directory (default: the current directory)");
  shared(service.command("print").description("print the unit for the current configuration")).action(
    async (flags: ServiceFlags) => {
      const { config, target } = await prepare(flags);
      process.stdout.write(render(config, target));
    },
  );
  shared(service.command("install").description(`write ${DEFAULT_UNIT_PATH} and print the next steps`))
    .option("-o, --output <path>", `where to write the unit (default ${DEFAULT_UNIT_PATH})`)
    .option("--enable", "also run systemctl daemon-reload, enable and start")
    .action(async (flags: ServiceFlags) => {
      const { config, target } = await prepare(flags);
      if (process.platform === "win32") {
        process.stdout.write(render(config, target));
        return;
      }
      const path = resolve(flags.output ?? DEFAULT_UNIT_PATH);
      await writeUnit(path, renderSystemdUnit(config, target));
      const steps = systemdNextSteps(path);
      if (flags.enable) await enableService();
      else process.stdout.write(`${steps.join("\n")}\n`);
    });
}

async function prepare(flags: ServiceFlags): Promise<{ config: BridgeConfig; target: ServiceTarget }> {
  // the unit carries only the original Python bridge's four variables; a missing battery is still worth a unit to edit
  const config = await configFromCommand(flags, { env: process.env }, { requireBattery: false });
  return { config, target: serviceTarget(flags) };
}

function render(config: BridgeConfig, target: ServiceTarget): string {
  return process.platform === "win32" ? renderWindowsTask(config, target) : renderSystemdUnit(config, target);
}

/** The node binary and script that are running now; a TypeScript entry (npm run bridge) needs tsx. */
function serviceTarget(flags: ServiceFlags): ServiceTarget {
  const script = resolve(process.argv[1] ?? "bms-bridge");
  // resolved to a file URL so the unit works from any WorkingDirectory
  const scriptArgs = script.endsWith(".ts") ? ["--import", import.meta.resolve("tsx"), script] : [script];
  const configPath = flags.config ?? process.env.BMS_CONFIG;
  return {
    nodePath: process.execPath,
    scriptArgs,
    runArgs: configPath ? ["--config", isAbsolute(configPath) ? configPath : resolve(configPath)] : [],
    user: flags.user ?? process.env.SUDO_USER ?? userInfo().username,
    workingDirectory: resolve(flags.workingDirectory ?? process.cwd()),
  };
}

async function writeUnit(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { mode: 0o644 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === "EACCES" || code === "EPERM" ? " (run with sudo, or use --output PATH)" : "";
    throw new BmsError(
      "IO",
      `cannot write ${path}: ${(error as Error).message}${hint}`,
      { path },
      { cause: error },
    );
  }
}

async function enableService(): Promise<void> {
  const run = promisify(execFile);
  for (const args of [["daemon-reload"], ["enable", "--now", SERVICE_NAME]]) {
    process.stdout.write(`systemctl ${args.join(" ")}\n`);
    try {
      await run("systemctl", args);
    } catch (error) {
      throw new BmsError(
        "IO",
        `systemctl ${args.join(" ")} failed: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }
}

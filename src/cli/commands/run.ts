/**
 * `bms-bridge run` (also what a bare `bms-bridge` does, like `python eco_worthy_bridge.py`, the original Python bridge):
 * env + flags + config file → the bridge, until SIGINT/SIGTERM. On a signal it stops cleanly (links
 * closed, bridge state `offline` published) and exits 0; a second signal exits at once. A fatal bridge
 * problem (a BLE adapter gone for longer than `adapter_give_up_after`) stops it the same way and exits 1
 * with one line, so the service manager (Restart=always) starts a fresh process.
 */
import type { Command } from "commander";
import { printableConfig } from "../../config/config.js";
import { oldGenerationBytes, startGcPacer } from "../../service/gc-pacer.js";
import { systemClock } from "../../util/clock.js";
import { addConfigOptions, configFromCommand, processLogger } from "../config-options.js";
import { PACKAGE_VERSION } from "../version.js";

export function registerRun(program: Command): void {
  const command = program
    .command("run", { isDefault: true })
    .description("poll the configured batteries and publish to MQTT (the default command)")
    .option("--print-config", "print the effective configuration (secrets masked) and exit");
  addConfigOptions(command).action(async (flags: Record<string, unknown>) => {
    if (flags.printConfig) {
      const config = await configFromCommand(flags, { env: process.env }, { requireBattery: false });
      const { stringify: stringifyYaml } = await import("yaml");
      process.stdout.write(stringifyYaml(printableConfig(config)));
      return;
    }
    const stopped = stopSignal();
    const config = await configFromCommand(flags, { env: process.env });
    // loaded only now: the configuration check's worker has ended, so the two never add up in memory
    const { startBridge } = await import("../../bridge/bridge.js");
    const logger = processLogger(config.log.level, config.log.json, (line) => process.stdout.write(line));
    const bridge = await startBridge({
      config,
      logger,
      clock: systemClock,
      version: PACKAGE_VERSION,
      memoryUsage: () => {
        const { rss, heapUsed } = process.memoryUsage();
        return { rssBytes: rss, heapUsedBytes: heapUsed };
      },
    });
    // V8's gc() is there when node runs with the bridge's own flags (src/service/node-flags.ts)
    const gc = (globalThis as { gc?: () => void }).gc;
    const pacer = gc && startGcPacer({ clock: systemClock, oldGenerationBytes, collect: gc });
    const ended = await Promise.race([stopped, bridge.fatal]);
    pacer?.stop();
    if (typeof ended !== "string") {
      await bridge.stop();
      throw ended; // one line on stderr and exit code 1 (run-cli.ts)
    }
    logger.info(`${ended} received, stopping`);
    await bridge.stop();
    logger.info("bms-bridge stopped");
  });
}

/**
 * Installs the SIGINT/SIGTERM handlers at once and resolves with the first signal; a second one while
 * stopping exits immediately. Commands call it before they load or start anything, so a signal that
 * arrives during startup (a test, systemd, an impatient Ctrl-C) is caught and handled as a clean stop
 * once startup is done, never by Node's default handler (exit 130 with nothing closed).
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve(signal);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}

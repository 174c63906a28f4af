/**
 * What `bms-emu` runs, without the process: load the scenario (or replay capture), build the batteries,
 * serve them. The CLI owns flags, signals, stdout and the status refresh.
 */
import type { Logger } from "../log/logger.js";
import type { Clock } from "../util/clock.js";
import type { BatterySetup, EmulatedBattery, EmulatedBatteryOptions } from "./battery.js";
import type { FaultSpec } from "./behaviors/faults.js";
import { createFleet, fleetBatterySetup } from "./fleet.js";
import { ReplayResponder } from "./replay.js";
import { loadReplaySources } from "./replay-capture.js";
import type { Scenario } from "./scenario.js";
import { listScenarios, loadScenario, loadScenarioFile, scenarioBatteryOptions } from "./scenario-files.js";
import { type Served, type ServeRequest, serveBatteries } from "./serve.js";

export interface EmulatorAppOptions {
  scenario?: string;
  scenarioFile?: string;
  /** A capture to serve verbatim instead of the model (overrides a scenario's replay). */
  replay?: string;
  /** Simulated seconds per real second; default: the scenario's suggestion, else 1. */
  speed?: number;
  seed?: number;
  count: number;
  faults: readonly FaultSpec[];
  serve: readonly ServeRequest[];
  clock?: Clock;
  /** Where a BLE battery tells that its adapter went away and came back. */
  logger?: Logger;
  /** `--mac`: the batteries' MACs, battery 1 first. */
  macs?: readonly string[];
  /** Offset of the default emulated MACs (the CLI draws one per process; default 0). */
  macBase?: number;
}

export interface RunningEmulator {
  scenario: Scenario | undefined;
  speed: number;
  batteries: EmulatedBattery[];
  served: Served;
  /** What battery `index` runs for a bundled scenario (the console's `scenario` control). */
  setupFor(scenarioName: string, index: number): Promise<BatterySetup>;
  scenarioNames(): Promise<string[]>;
  stop(): Promise<void>;
}

async function pickScenario(options: EmulatorAppOptions): Promise<Scenario | undefined> {
  if (options.scenarioFile !== undefined) return loadScenarioFile(options.scenarioFile);
  if (options.scenario !== undefined) return loadScenario(options.scenario);
  return undefined;
}

export async function startEmulator(options: EmulatorAppOptions): Promise<RunningEmulator> {
  const scenario = await pickScenario(options);
  const base: EmulatedBatteryOptions = scenario
    ? { ...(await scenarioBatteryOptions(scenario)), scenarioName: scenario.name }
    : {};
  const speed = options.speed ?? scenario?.speed ?? 1;
  const replay = options.replay === undefined ? undefined : await loadReplaySources(options.replay);
  const fleet: Parameters<typeof createFleet>[0] = {
    // a capture of N batteries is served as N batteries, battery i replaying the i-th address
    count: Math.max(options.count, replay?.length ?? 0),
    base,
    faults: options.faults,
    speed,
  };
  if (replay) {
    fleet.perBattery = (index) => ({
      responder: () => new ReplayResponder(replay[index % replay.length] ?? [], { speed }),
      // the captured notification boundaries are served as they are, not re-cut to 20 bytes
      notifySize: Number.MAX_SAFE_INTEGER,
    });
  }
  const seed = options.seed ?? scenario?.seed;
  if (seed !== undefined) fleet.seed = seed;
  if (options.clock !== undefined) fleet.clock = options.clock;
  if (options.macs !== undefined) fleet.macs = options.macs;
  if (options.macBase !== undefined) fleet.macBase = options.macBase;
  const batteries = createFleet(fleet);
  const served = await serveBatteries(
    batteries,
    options.serve,
    options.logger === undefined ? {} : { logger: options.logger },
  );
  return {
    scenario,
    speed,
    batteries,
    served,
    setupFor: async (name, index) => {
      const next = await loadScenario(name);
      const scenarioBase = { ...(await scenarioBatteryOptions(next)), scenarioName: next.name };
      return fleetBatterySetup(scenarioBase, index, batteries.length, options.faults);
    },
    scenarioNames: async () => (await listScenarios()).map((s) => s.name),
    stop: async () => {
      await served.close();
      for (const battery of batteries) battery.close();
    },
  };
}

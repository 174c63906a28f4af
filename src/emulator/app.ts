/**
 * What `bms-emu` runs, without the process: load the scenario (or replay capture), build the batteries,
 * serve them. The CLI owns flags, signals, stdout and the status refresh.
 */
import type { Clock } from "../util/clock.js";
import type { EmulatedBattery, EmulatedBatteryOptions } from "./battery.js";
import type { FaultSpec } from "./behaviors/faults.js";
import { createFleet } from "./fleet.js";
import { ReplayResponder } from "./replay.js";
import type { Scenario } from "./scenario.js";
import { loadCapture, loadScenario, loadScenarioFile, scenarioBatteryOptions } from "./scenario-files.js";
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
}

export interface RunningEmulator {
  scenario: Scenario | undefined;
  speed: number;
  batteries: EmulatedBattery[];
  served: Served;
  stop(): Promise<void>;
}

async function pickScenario(options: EmulatorAppOptions): Promise<Scenario | undefined> {
  if (options.scenarioFile !== undefined) return loadScenarioFile(options.scenarioFile);
  if (options.scenario !== undefined) return loadScenario(options.scenario);
  return undefined;
}

export async function startEmulator(options: EmulatorAppOptions): Promise<RunningEmulator> {
  const scenario = await pickScenario(options);
  const base: EmulatedBatteryOptions = scenario ? await scenarioBatteryOptions(scenario) : {};
  if (options.replay !== undefined) {
    const captured = await loadCapture(options.replay);
    base.responder = () => new ReplayResponder(captured);
  }
  const speed = options.speed ?? scenario?.speed ?? 1;
  const fleet: Parameters<typeof createFleet>[0] = {
    count: options.count,
    base,
    faults: options.faults,
    speed,
  };
  const seed = options.seed ?? scenario?.seed;
  if (seed !== undefined) fleet.seed = seed;
  if (options.clock !== undefined) fleet.clock = options.clock;
  const batteries = createFleet(fleet);
  const served = await serveBatteries(batteries, options.serve);
  return {
    scenario,
    speed,
    batteries,
    served,
    stop: async () => {
      await served.close();
      for (const battery of batteries) battery.close();
    },
  };
}

/** Reading scenario files: the bundled ones in fixtures/scenarios, or any path. */
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { BmsError } from "../errors.js";
import type { EmulatedBatteryOptions } from "./battery.js";
import { type CapturedResponse, parseCapture, ReplayResponder } from "./replay.js";
import { parseScenario, type Scenario } from "./scenario.js";

/** fixtures/scenarios, found relative to this file both in src/ and in dist/ (package "files"). */
export const BUNDLED_SCENARIO_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../fixtures/scenarios",
);

export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new BmsError("CONFIG_INVALID", `cannot read scenario file ${path}: ${(error as Error).message}`, {
      path,
    });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    // The yaml library's message carries a code frame on further lines; the CLI prints one line.
    const first = (error as Error).message.split("\n")[0];
    throw new BmsError("CONFIG_INVALID", `scenario ${path} is not valid YAML: ${first}`, { path });
  }
  const scenario = parseScenario(document, path);
  if (scenario.replay !== undefined && !isAbsolute(scenario.replay))
    scenario.replay = resolve(dirname(path), scenario.replay);
  return scenario;
}

export async function listScenarios(dir = BUNDLED_SCENARIO_DIR): Promise<Scenario[]> {
  const files = (await readdir(dir)).filter((f) => [".yaml", ".yml"].includes(extname(f))).sort();
  return Promise.all(files.map((f) => loadScenarioFile(join(dir, f))));
}

/** A bundled scenario by name (the file name without .yaml). */
export async function loadScenario(name: string, dir = BUNDLED_SCENARIO_DIR): Promise<Scenario> {
  const files = (await readdir(dir)).filter((f) => [".yaml", ".yml"].includes(extname(f)));
  const file = files.find((f) => basename(f, extname(f)) === name);
  if (!file) {
    const known = files.map((f) => basename(f, extname(f))).join(", ");
    throw new BmsError("USAGE", `unknown scenario "${name}" (known: ${known})`, { name });
  }
  return loadScenarioFile(join(dir, file));
}

/** Reads a replay capture (frame fixture JSON or text log). */
export async function loadCapture(path: string): Promise<CapturedResponse[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new BmsError("CONFIG_INVALID", `cannot read replay capture ${path}: ${(error as Error).message}`);
  }
  try {
    return parseCapture(text, path);
  } catch (error) {
    if (error instanceof BmsError) throw error;
    throw new BmsError("CONFIG_INVALID", `replay capture ${path} is not valid: ${(error as Error).message}`);
  }
}

/** The battery options a scenario describes (its replay capture is read here). */
export async function scenarioBatteryOptions(scenario: Scenario): Promise<EmulatedBatteryOptions> {
  const options: EmulatedBatteryOptions = {
    scenarioProfile: scenario.profile,
    timeline: scenario.timeline,
    faults: scenario.faults,
  };
  if (scenario.seed !== undefined) options.seed = scenario.seed;
  if (scenario.replay !== undefined) {
    const captured = await loadCapture(scenario.replay);
    options.responder = () => new ReplayResponder(captured);
  }
  return options;
}

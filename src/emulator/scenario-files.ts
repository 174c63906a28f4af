/** Reading scenario files: the bundled ones in fixtures/scenarios, or any path. */
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { BmsError } from "../errors.js";
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
    throw new BmsError("CONFIG_INVALID", `scenario ${path} is not valid YAML: ${(error as Error).message}`);
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

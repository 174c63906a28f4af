/**
 * Loads the configuration once at start: defaults < file < environment < flags. Every problem is
 * collected and reported together in one BmsError CONFIG_INVALID, each line naming the variable,
 * flag or file key to fix.
 */
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { extname } from "node:path";
import type * as z from "zod";
import { BmsError } from "../errors.js";
import { type BridgeConfig, resolveConfig } from "./config.js";
import { defaultClientId } from "./defaults.js";
import {
  type ConfigLayer,
  emptyLayer,
  envLayer,
  flagLayer,
  formatPath,
  isPlainObject,
  labelFor,
  mergeLayers,
} from "./layers.js";
import { configSchema } from "./schema.js";

export { readConfigFile } from "./read-file.js";

export interface ConfigSources {
  env?: Readonly<Record<string, string | undefined>>;
  /** commander options of `bms-bridge run` (see FLAG_MAPPINGS). */
  flags?: Readonly<Record<string, unknown>>;
  /** A config file (.yaml, .yml or .json). */
  file?: { path: string; text: string };
  /** Batteries the caller supplies when none are configured (the demo's in-process ones). */
  defaultBatteries?: string[];
  /** Whether at least one battery is required (run: yes; print-config: no). */
  requireBattery?: boolean;
  /** Source of the default client id's randomness (tests pin it). */
  randomHex?: (bytes: number) => string;
  /** Host name in the default client id, so broker logs say which machine a bridge runs on. */
  hostname?: string;
}

/** Validates and resolves; throws BmsError CONFIG_INVALID listing every problem. */
export function loadConfig(sources: ConfigSources): BridgeConfig {
  const fileLayer = sources.file ? parseFileLayer(sources.file) : emptyLayer();
  const merged = [envLayer(sources.env ?? {}), flagLayer(sources.flags ?? {})].reduce(mergeLayers, fileLayer);
  const values = withDefaultBatteries(merged.values, sources.defaultBatteries);
  const result = configSchema.safeParse(values);
  const problems = [...merged.problems];
  if (!result.success) problems.push(...describeIssues(result.error.issues, merged, sources.file?.path));
  if (result.success && sources.requireBattery !== false && result.data.batteries.length === 0) {
    problems.push(
      "BMS_ADDRESS: no battery configured (set BMS_ADDRESS, --address or batteries: in a config file)",
    );
  }
  if (problems.length > 0 || !result.success) throw configError(problems);
  const host = sources.hostname ?? hostname();
  return resolveConfig(result.data, () => defaultClientId(host, sources.randomHex), host);
}

function withDefaultBatteries(
  values: Record<string, unknown>,
  defaults: string[] | undefined,
): Record<string, unknown> {
  if (!defaults || (Array.isArray(values.batteries) && values.batteries.length > 0)) return values;
  return { ...values, batteries: defaults.map((address) => ({ address })) };
}

/**
 * yaml is loaded on first use, so a run configured by env and flags alone never loads it; loadConfig is
 * synchronous, hence require (yaml ships a CommonJS build for Node) rather than import().
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yaml.parse(text);
}

function parseFileLayer(file: { path: string; text: string }): ConfigLayer {
  const layer = emptyLayer();
  const isJson = extname(file.path).toLowerCase() === ".json";
  let parsed: unknown;
  try {
    parsed = isJson ? JSON.parse(file.text) : parseYaml(file.text);
  } catch (error) {
    const detail = (error as Error).message.split("\n")[0];
    layer.problems.push(`${file.path}: not valid ${isJson ? "JSON" : "YAML"} (${detail})`);
    return layer;
  }
  if (parsed === null || parsed === undefined) return layer;
  if (!isPlainObject(parsed)) {
    layer.problems.push(`${file.path}: must hold a mapping (batteries:, mqtt:, bridge:, log:)`);
    return layer;
  }
  layer.values = parsed;
  return layer;
}

function describeIssues(
  issues: z.core.$ZodIssue[],
  layer: ConfigLayer,
  filePath: string | undefined,
): string[] {
  return issues.map((issue) => {
    const path = issue.path as (string | number)[];
    const label = labelFor(layer.labels, path);
    const fromFile = filePath !== undefined && label === formatPath(path);
    const where = fromFile ? `${filePath}: ${label || "(top level)"}` : label || "(top level)";
    if (issue.code === "unrecognized_keys")
      return `${where}: unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    return `${where}: ${issue.message}`;
  });
}

function configError(problems: string[]): BmsError {
  const message =
    problems.length === 1
      ? (problems[0] as string)
      : `invalid configuration (${problems.length} problems):\n${problems.map((p) => `  ${p}`).join("\n")}`;
  return new BmsError("CONFIG_INVALID", message, { problems });
}

/**
 * Scenario files (fixtures/scenarios/*.yaml): profile overrides + a timeline + faults, validated with zod,
 * listing every problem at once. Wire/config keys are snake_case; the parsed Scenario is camelCase.
 * The profile schema is derived from DEFAULT_PROFILE, so a new profile field is accepted automatically.
 */
import { z } from "zod";
import { BmsError } from "../errors.js";
import type { FaultSpec } from "./behaviors/faults.js";
import { parseFaultSpec } from "./behaviors/parse-fault.js";
import { DEFAULT_PROFILE, type ProfileOverrides } from "./profile.js";
import type { TimelineEntry } from "./timeline.js";

export interface Scenario {
  name: string;
  description: string;
  seed?: number;
  /** Suggested simulated seconds per real second when run from the CLI. */
  speed?: number;
  profile: ProfileOverrides;
  timeline: TimelineEntry[];
  faults: FaultSpec[];
  /** Documented checkpoints (e.g. `health_warning_at_s`), kept snake_case; tests check them. */
  expect: Record<string, number>;
  /** Path of a capture to serve verbatim (relative to the scenario file). */
  replay?: string;
}

const snake = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (snakeKey: string): string =>
  snakeKey.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Profile numbers that must be positive for the physics to make sense (a capacity, a heat capacity…). */
const POSITIVE_KEYS = new Set([
  "nominalAh",
  "cycleCapacityAh",
  "capacityAh",
  "heatCapacityJPerK",
  "thermalResistanceKPerW",
]);

/** A zod schema accepting a partial, snake_case version of `example` (`key` = its camelCase name). */
function overridesSchema(example: unknown, key = ""): z.ZodType {
  if (key === "cellCount") return z.number().int().min(1).max(32);
  if (typeof example === "number") return POSITIVE_KEYS.has(key) ? z.number().positive() : z.number();
  if (typeof example === "string") return z.string();
  if (typeof example === "boolean") return z.boolean();
  if (Array.isArray(example)) {
    const item = example.length > 0 ? overridesSchema(example[0]) : z.number();
    return z.array(item);
  }
  const shape: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(example as object))
    shape[snake(key)] = overridesSchema(value, key).optional();
  return z.strictObject(shape);
}

const cellShape = overridesSchema(DEFAULT_PROFILE.cell);
const profileSchema = (overridesSchema(DEFAULT_PROFILE) as z.ZodObject).extend({
  cells: z.array(cellShape).optional(),
});

const timelineEntrySchema = z
  .strictObject({
    at_s: z.number().nonnegative(),
    current_a: z.number().optional(),
    cv_v: z.number().positive().optional(),
    ambient_c: z.number().optional(),
    temperature_c: z.number().optional(),
    cell: z.number().int().min(1).optional(),
    capacity_ah: z.number().positive().optional(),
    soc_pct: z.number().optional(),
    resistance_mohm: z.number().nonnegative().optional(),
    self_discharge_pct_per_day: z.number().optional(),
  })
  .refine((e) => e.cell !== undefined || CELL_FIELDS.every((f) => e[f] === undefined), {
    message: "cell fields need `cell: N`",
  });

const CELL_FIELDS = ["capacity_ah", "soc_pct", "resistance_mohm", "self_discharge_pct_per_day"] as const;

const faultSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
});

const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(""),
  seed: z.number().int().optional(),
  speed: z.number().positive().optional(),
  profile: profileSchema.default({}),
  timeline: z.array(timelineEntrySchema).default([]),
  faults: z.array(faultSchema).default([]),
  expect: z.record(z.string(), z.number()).default({}),
  replay: z.string().optional(),
});

function camelizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelizeKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), camelizeKeys(v)]));
}

function toTimelineEntry(raw: z.infer<typeof timelineEntrySchema>): TimelineEntry {
  const { at_s, cell, current_a, cv_v, ambient_c, temperature_c, ...cellFields } = raw;
  const entry: TimelineEntry = { atS: at_s };
  if (current_a !== undefined) entry.currentA = current_a;
  if (cv_v !== undefined) entry.cvV = cv_v;
  if (ambient_c !== undefined) entry.ambientC = ambient_c;
  if (temperature_c !== undefined) entry.temperatureC = temperature_c;
  if (cell !== undefined) {
    entry.cell = cell;
    entry.cellPatch = camelizeKeys(cellFields) as TimelineEntry["cellPatch"] & object;
  }
  return entry;
}

/** Formats zod issues as `path: message`, one per problem. */
export function listProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
}

/** Validates a parsed YAML/JSON document; throws CONFIG_INVALID naming every problem. */
export function parseScenario(document: unknown, source: string): Scenario {
  const result = scenarioSchema.safeParse(document);
  if (!result.success) {
    const problems = listProblems(result.error);
    throw new BmsError("CONFIG_INVALID", `scenario ${source} is invalid: ${problems.join("; ")}`, {
      source,
      problems,
    });
  }
  const raw = result.data;
  const scenario: Scenario = {
    name: raw.name,
    description: raw.description.trim(),
    profile: camelizeKeys(raw.profile) as ProfileOverrides,
    timeline: raw.timeline.map(toTimelineEntry),
    faults: raw.faults.map((text) => (parseFaultSpec(text) as { ok: true; spec: FaultSpec }).spec),
    expect: raw.expect,
  };
  if (raw.seed !== undefined) scenario.seed = raw.seed;
  if (raw.speed !== undefined) scenario.speed = raw.speed;
  if (raw.replay !== undefined) scenario.replay = raw.replay;
  return scenario;
}

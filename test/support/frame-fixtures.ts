/**
 * Loads the real captured frames in fixtures/frames/*.json (each with its source and hand-worked
 * expected values). Shared by the golden tests, the fuzz test, the decode e2e test and the benchmark.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FRAME_FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/frames");

export type Expected = Record<string, unknown>;

export interface FixtureFrame {
  name: string;
  hex: string;
  /** The frame as the capture delivered it (BLE notifications or UART reads), when the source shows that. */
  chunks?: string[];
  expected: Expected;
  arithmetic: string[];
}

export interface FixtureStream {
  name: string;
  chunks: string[];
  expected: Expected[];
}

export interface FrameFixtureFile {
  file: string;
  device: string;
  transport: "ble" | "uart";
  sources: string[];
  frames: FixtureFrame[];
  streams?: FixtureStream[];
}

export function loadFrameFixtures(): FrameFixtureFile[] {
  return readdirSync(FRAME_FIXTURE_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...JSON.parse(readFileSync(join(FRAME_FIXTURE_DIR, file), "utf8")) }));
}

/** Strict hex for fixture files (they are ours: no tolerance needed). */
export function fixtureBytes(hex: string): Uint8Array {
  const digits = hex.replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`fixture hex is malformed: ${hex}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

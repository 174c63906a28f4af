/**
 * Several independent emulated batteries in one process (`--count N`), like the user's bank of eight:
 * distinct MAC addresses (A5:C2:37 OUI, the DP04S modules' own; `macBase` keeps two processes apart,
 * `macs` are the user's `--mac`), distinct barcodes and
 * starting SoC, and — in a bank of two or more — a mildly weak cell 2 in the last battery. All keep the
 * real BLE name, as in the scan output of the Accu-Solar BMS setup guide, where every battery advertises DP04S007L4S200A.
 */
import type { Clock } from "../util/clock.js";
import { createEmulatedBattery, type EmulatedBattery, type EmulatedBatteryOptions } from "./battery.js";
import type { FaultSpec } from "./behaviors/faults.js";
import { cellProfile, type ProfileOverrides, resolveProfile } from "./profile.js";

export interface FleetOptions {
  count: number;
  /** Options every battery shares (scenario profile, timeline, responder…). */
  base: EmulatedBatteryOptions;
  faults?: readonly FaultSpec[];
  seed?: number;
  speed?: number;
  clock?: Clock;
  /** Options for one battery, applied last (replay: battery i serves the i-th captured address). */
  perBattery?: (index: number) => Partial<EmulatedBatteryOptions>;
  /** The user's MACs, battery 1 first; a battery without one gets `emulatedMac(index, macBase)`. */
  macs?: readonly string[];
  /** Offset of the emulated MACs (default 0: A5:C2:37:E0:00:01, …). */
  macBase?: number;
}

/** `A5:C2:37:E0:00:01` for index 0 (base 0), …: the E0 byte marks an emulator. */
export function emulatedMac(index: number, base = 0): string {
  const n = (base + index + 1) & 0xffff;
  const hex = (v: number) => v.toString(16).toUpperCase().padStart(2, "0");
  return `A5:C2:37:E0:${hex((n >> 8) & 0xff)}:${hex(n & 0xff)}`;
}

/** Each further battery starts 4 % of nominal lower (never below 5 %). */
const SOC_STEP = 0.04;
const WEAK_CELL_CAPACITY = 0.85;

function fleetOverrides(base: EmulatedBatteryOptions, index: number, count: number): ProfileOverrides {
  const profile = resolveProfile(base.scenarioProfile, base.profile);
  const overrides: ProfileOverrides = { barcode: `EMU-${String(index + 1).padStart(4, "0")}` };
  if (count === 1) return overrides;
  const floor = profile.nominalAh * 0.05;
  const initial = { ...profile.initial };
  const lowered = Math.max(floor, initial.remainingAh - profile.nominalAh * SOC_STEP * index);
  initial.remainingAh = Math.round(lowered * 100) / 100; // the wire resolution, 10 mAh
  overrides.initial = initial;
  if (index === count - 1) {
    const cells = Array.from({ length: profile.cellCount }, (_, i) => ({ ...profile.cells[i] }));
    cells[1] = { ...cells[1], capacityAh: cellProfile(profile, 1).capacityAh * WEAK_CELL_CAPACITY };
    overrides.cells = cells;
  }
  return overrides;
}

/**
 * What battery `index` of a bank of `count` runs for a scenario's options: its share of the bank's
 * differences (barcode, starting SoC, the weak cell) and the command line's faults. Used at start and
 * when the console switches a battery to another scenario.
 */
export function fleetBatterySetup(
  base: EmulatedBatteryOptions,
  index: number,
  count: number,
  faults: readonly FaultSpec[] = [],
): EmulatedBatteryOptions {
  return {
    ...base,
    profile: { ...base.profile, ...fleetOverrides(base, index, count) },
    faults: [...(base.faults ?? []), ...faults],
  };
}

export function createFleet(options: FleetOptions): EmulatedBattery[] {
  const seed = options.seed ?? 1;
  return Array.from({ length: options.count }, (_, index) => {
    const mac = options.macs?.[index];
    const battery: EmulatedBatteryOptions = {
      ...fleetBatterySetup(options.base, index, options.count, options.faults),
      ...(mac === undefined
        ? { placeholderAddress: emulatedMac(index, options.macBase) }
        : { address: mac.toUpperCase() }),
      seed: seed + index,
    };
    if (options.speed !== undefined) battery.speed = options.speed;
    if (options.clock !== undefined) battery.clock = options.clock;
    return createEmulatedBattery({ ...battery, ...options.perBattery?.(index) });
  });
}

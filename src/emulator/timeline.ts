/**
 * A scenario's timeline: at simulated time `atS`, change the load/charger, the ambient or pack temperature,
 * or a cell. `advance` moves the model forward, stopping exactly at each event so protection and health
 * thresholds are crossed at reproducible times.
 */
import type { BatteryModel, CellPatch } from "./model.js";

export interface TimelineEntry {
  atS: number;
  /** Load (negative) or charger (positive) current, A; with `cvV` the charger holds the pack at that voltage. */
  currentA?: number;
  cvV?: number;
  ambientC?: number;
  temperatureC?: number;
  /** 1-based cell number the `cellPatch` applies to. */
  cell?: number;
  cellPatch?: CellPatch;
}

export function applyEntry(model: BatteryModel, entry: TimelineEntry): void {
  if (entry.currentA !== undefined) model.setDemand(entry.currentA, entry.cvV);
  if (entry.ambientC !== undefined) model.setAmbient(entry.ambientC);
  if (entry.temperatureC !== undefined) model.setTemperature(entry.temperatureC);
  if (entry.cell !== undefined && entry.cellPatch) model.setCell(entry.cell - 1, entry.cellPatch);
}

export class Timeline {
  readonly #entries: TimelineEntry[];
  #next = 0;

  constructor(entries: readonly TimelineEntry[]) {
    this.#entries = [...entries].sort((a, b) => a.atS - b.atS);
  }

  /** Advances `model` by `seconds`, applying every entry that falls due on the way. */
  advance(model: BatteryModel, seconds: number): void {
    const target = model.timeS + seconds;
    for (
      let entry = this.#entries[this.#next];
      entry && entry.atS <= target;
      entry = this.#entries[this.#next]
    ) {
      if (entry.atS > model.timeS) model.advance(entry.atS - model.timeS);
      applyEntry(model, entry);
      this.#next += 1;
    }
    if (target > model.timeS) model.advance(target - model.timeS);
  }
}

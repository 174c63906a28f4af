/**
 * The console's core, shared by its HTTP server and the demo's MQTT control: the batteries' states, a
 * short history for the page's chart (one sample a second, the last 10 minutes), and PATCH handling
 * (check everything, load a scenario if asked, then apply). Time comes from the injected clock.
 */
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { BatterySetup, EmulatedBattery } from "../battery.js";
import type { Endpoint } from "../serve.js";
import { applyPatch, parsePatch } from "./controls.js";
import { type BatteryState, batteryState } from "./state.js";

export interface ConsoleSource {
  batteries: readonly EmulatedBattery[];
  /** endpoints[i] = where battery i is served (shown on the page). */
  endpoints?: ReadonlyArray<readonly Endpoint[]>;
  /** What battery `index` runs for a bundled scenario. */
  setupFor(scenarioName: string, index: number): Promise<BatterySetup>;
  /** The bundled scenarios' names. */
  scenarioNames(): Promise<string[]>;
}

export interface Sample {
  /** Wall-clock time, ms since the epoch. */
  t: number;
  voltage_v: number;
  current_a: number;
  soc_pct: number;
  spread_mv: number;
}

export interface ConsoleUpdate {
  batteries: BatteryState[];
  /** samples[i] = the sample just taken for battery i; absent when the update follows a change. */
  samples?: Sample[];
}

export type PatchOutcome =
  | { status: 200; state: BatteryState }
  | { status: 400 | 404; error: { field?: string; error: string } };

export interface ConsoleOptions {
  clock: Clock;
  sampleEveryMs?: number;
  historyLength?: number;
}

export class EmulatorConsole {
  readonly #source: ConsoleSource;
  readonly #clock: Clock;
  readonly #sampleEveryMs: number;
  readonly #historyLength: number;
  readonly #history: Sample[][];
  readonly #listeners = new Set<(update: ConsoleUpdate) => void>();
  #timer: TimerHandle | undefined;

  constructor(source: ConsoleSource, options: ConsoleOptions) {
    this.#source = source;
    this.#clock = options.clock;
    this.#sampleEveryMs = options.sampleEveryMs ?? 1000;
    this.#historyLength = options.historyLength ?? 600;
    this.#history = source.batteries.map(() => []);
  }

  get count(): number {
    return this.#source.batteries.length;
  }

  list(): BatteryState[] {
    return this.#source.batteries.map((battery, i) => batteryState(battery, i, this.#source.endpoints?.[i]));
  }

  /** Battery `n` (1-based), or undefined. */
  state(n: number): BatteryState | undefined {
    const battery = this.#source.batteries[n - 1];
    return battery && batteryState(battery, n - 1, this.#source.endpoints?.[n - 1]);
  }

  scenarios(): Promise<string[]> {
    return this.#source.scenarioNames();
  }

  history(n: number): Sample[] | undefined {
    return this.#history[n - 1] && [...(this.#history[n - 1] as Sample[])];
  }

  async patch(n: number, body: unknown): Promise<PatchOutcome> {
    const battery = this.#source.batteries[n - 1];
    if (!battery || !Number.isInteger(n)) return { status: 404, error: { error: `no battery ${n}` } };
    const parsed = parsePatch(body, battery.profile.cellCount);
    if (!parsed.ok) return { status: 400, error: { field: parsed.field, error: parsed.error } };
    let setup: BatterySetup | undefined;
    if (parsed.patch.scenario !== undefined) {
      try {
        setup = await this.#source.setupFor(parsed.patch.scenario, n - 1);
      } catch (error) {
        return { status: 400, error: { field: "scenario", error: (error as Error).message } };
      }
    }
    applyPatch(battery, parsed.patch, setup);
    this.#emit({ batteries: this.list() });
    return { status: 200, state: this.state(n) as BatteryState };
  }

  onUpdate(listener: (update: ConsoleUpdate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Samples every battery now and then every `sampleEveryMs`. */
  start(): void {
    if (this.#timer !== undefined) return;
    const tick = (): void => {
      this.#sample();
      this.#timer = this.#clock.setTimeout(tick, this.#sampleEveryMs);
      this.#timer.unref?.();
    };
    tick();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #sample(): void {
    const batteries = this.list();
    const t = this.#clock.now();
    const samples = batteries.map((b, i): Sample => {
      const sample = {
        t,
        voltage_v: b.voltage_v,
        current_a: b.current_a,
        soc_pct: b.soc_pct,
        spread_mv: b.spread_mv,
      };
      const history = this.#history[i] as Sample[];
      history.push(sample);
      if (history.length > this.#historyLength) history.splice(0, history.length - this.#historyLength);
      return sample;
    });
    this.#emit({ batteries, samples });
  }

  #emit(update: ConsoleUpdate): void {
    for (const listener of [...this.#listeners]) listener(update);
  }
}

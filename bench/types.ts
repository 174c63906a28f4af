/** The contract between `bench/index.ts` and its sections (one file per section, listed in sections.ts). */

export interface BenchContext {
  /** `--quick`: a smoke run for CI; every section must finish in a few seconds. */
  quick: boolean;
  /** Progress lines for the person watching (stderr). */
  log(line: string): void;
}

export interface BenchFigure {
  /** snake_case key in bench-results.json, e.g. `decode_frames_per_s`. */
  key: string;
  value: number;
  unit: string;
}

export interface BenchOutcome {
  figures: BenchFigure[];
  /** Broken invariants (e.g. a fuzz input that threw): printed, and `npm run bench` exits 1. */
  problems?: string[];
}

export interface BenchSection {
  name: string;
  run(context: BenchContext): Promise<BenchOutcome>;
}

/** Runs `step` repeatedly for about `budgetMs` and returns iterations per second. */
export function measureRate(budgetMs: number, step: () => number): { perSecond: number; count: number } {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    count += step();
    elapsed = performance.now() - start;
  }
  return { perSecond: (count * 1000) / elapsed, count };
}

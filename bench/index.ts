/**
 * `npm run bench [-- --quick] [-- --only name,name] [-- --soak MINUTES]`: runs the sections in
 * bench/sections.ts (or, with `--soak`, only the long soak of bench/soak.ts), prints a table and writes
 * bench-results.json (git-ignored). Figures of sections not run this time are kept
 * from the previous file, so `--only` refreshes part of it. Exits 1 if a section reports a problem.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { SECTIONS } from "./sections.js";
import { soakSection } from "./soak.js";
import type { BenchContext, BenchFigure } from "./types.js";

const RESULTS_FILE = "bench-results.json";

interface Results {
  generated_at: string;
  quick: boolean;
  node: string;
  figures: Record<string, { value: number; unit: string; section: string }>;
}

function parseArgs(argv: string[]): { quick: boolean; only?: string[]; soakMinutes?: number } {
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt >= 0 ? argv[onlyAt + 1]?.split(",") : undefined;
  const soakAt = argv.indexOf("--soak");
  const soakMinutes = soakAt >= 0 ? Number(argv[soakAt + 1]) : undefined;
  if (soakMinutes !== undefined && !(soakMinutes > 0)) throw new Error("--soak needs a number of minutes");
  return {
    quick: argv.includes("--quick"),
    ...(only ? { only } : {}),
    ...(soakMinutes !== undefined && { soakMinutes }),
  };
}

function previousFigures(): Results["figures"] {
  if (!existsSync(RESULTS_FILE)) return {};
  try {
    return (JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as Results).figures ?? {};
  } catch {
    return {};
  }
}

function printTable(rows: Array<BenchFigure & { section: string }>): void {
  const header = ["section", "figure", "value", "unit"];
  const cells = rows.map((row) => [row.section, row.key, row.value.toLocaleString("en"), row.unit]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((cell) => (cell[i] as string).length)),
  );
  const line = (cols: string[]) =>
    cols
      .map((col, i) => (i === 2 ? col.padStart(widths[i] as number) : col.padEnd(widths[i] as number)))
      .join("  ");
  process.stdout.write(`${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const cell of cells) process.stdout.write(`${line(cell)}\n`);
}

async function main(): Promise<void> {
  const { quick, only, soakMinutes } = parseArgs(process.argv.slice(2));
  const context: BenchContext = { quick, log: (text) => process.stderr.write(`${text}\n`) };
  const selected =
    soakMinutes === undefined
      ? SECTIONS.filter((section) => !only || only.includes(section.name))
      : [soakSection(soakMinutes)];
  const figures = previousFigures();
  const rows: Array<BenchFigure & { section: string }> = [];
  const problems: string[] = [];
  for (const section of selected) {
    const started = performance.now();
    const outcome = await section.run(context);
    context.log(`${section.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const figure of outcome.figures) {
      rows.push({ ...figure, section: section.name });
      figures[figure.key] = { value: figure.value, unit: figure.unit, section: section.name };
    }
    problems.push(...(outcome.problems ?? []).map((problem) => `${section.name}: ${problem}`));
  }
  printTable(rows);
  const results: Results = { generated_at: new Date().toISOString(), quick, node: process.version, figures };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`PROBLEM ${problem}\n`);
    process.exitCode = 1;
  }
}

await main();

// `npm run test:mutation` (docs/testing.md, "Mutation testing"). Not part of CI: a full run takes tens of
// minutes on 2 cores. Incremental: a later run re-tests only the mutants whose code or covering tests
// changed since reports/mutation/incremental.json (gitignored, like the HTML and JSON reports).
// Two scopes with their own goals and reports, one Stryker run each (MUTATION_SCOPE=protocol | bridge;
// `npm run test:mutation` runs both, one after the other).
const SCOPES = {
  // goal: ≥ 95 % killed
  protocol: ["src/protocol/**/*.ts"],
  // the bridge core, goal: ≥ 90 % killed
  bridge: [
    "src/bridge/device/client.ts",
    "src/bridge/device/battery-session.ts",
    "src/bridge/device/poll-health.ts",
    "src/bridge/device/poller.ts",
    "src/bridge/publish/*.ts",
    "src/bridge/state/*.ts",
    "src/bridge/mqtt/topics.ts",
  ],
};
const scope = process.env.MUTATION_SCOPE ?? "protocol";
if (!(scope in SCOPES)) throw new Error(`MUTATION_SCOPE must be one of ${Object.keys(SCOPES).join(", ")}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  plugins: ["@stryker-mutator/vitest-runner"],
  coverageAnalysis: "perTest",
  // A static mutant (a module-level constant, evaluated once at import) is covered by no single test, so
  // it would re-run every test: most of a run's time for a few percent of the mutants. They are reported as
  // ignored, and the tables they sit in are pinned by the tests of the functions that read them.
  ignoreStatic: true,
  mutate: SCOPES[scope],
  incremental: true,
  incrementalFile: `reports/mutation/${scope}/incremental.json`,
  // a 2-core machine shared with other work: one test process, at the lowest priority (see package.json)
  concurrency: 1,
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${scope}/index.html` },
  jsonReporter: { fileName: `reports/mutation/${scope}/mutation.json` },
  tempDirName: ".stryker-tmp",
  thresholds: { high: 95, low: 90, break: null },
};

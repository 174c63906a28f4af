// `npm run test:mutation` (docs/testing.md, "Mutation testing"). Not part of CI: a full run takes tens of
// minutes on 2 cores. Incremental: a later run re-tests only the mutants whose code or covering tests
// changed since reports/mutation/incremental.json (gitignored, like the HTML and JSON reports).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  plugins: ["@stryker-mutator/vitest-runner"],
  coverageAnalysis: "perTest",
  mutate: [
    // the protocol (goal ≥ 95 % killed)
    "src/protocol/**/*.ts",
    // the bridge core (goal ≥ 90 % killed)
    "src/bridge/device/client.ts",
    "src/bridge/device/battery-session.ts",
    "src/bridge/device/poll-health.ts",
    "src/bridge/device/poller.ts",
    "src/bridge/publish/*.ts",
    "src/bridge/state/*.ts",
    "src/bridge/mqtt/topics.ts",
  ],
  incremental: true,
  incrementalFile: "reports/mutation/incremental.json",
  // a 2-core machine shared with other work: one test process, at the lowest priority (see package.json)
  concurrency: 1,
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  thresholds: { high: 95, low: 90, break: null },
};

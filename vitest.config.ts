import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Suites that start processes (Mosquitto, the BLE lab, CLI children) share a 2-core machine.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: {
        // The codec is the one part every other part trusts: every line of it is exercised.
        "src/protocol/**/*.ts": { lines: 100 },
      },
    },
  },
});

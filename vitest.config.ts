import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Suites that start processes (Mosquitto, the BLE lab, CLI children) share a 2-core machine.
    maxWorkers: 2,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: {
        // The codec is the one part every other part trusts: every line of it is exercised.
        "src/protocol/**/*.ts": { lines: 100 },
      },
    },
    projects: [
      {
        extends: true,
        test: {
          name: "default",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/**/*.ble.test.ts"],
          globalSetup: ["test/global-setup.ts"],
        },
      },
      {
        // Real noble and bleno through the virtual BLE lab (scripts/vble): one lab for all BLE files,
        // which run one after another because they share its controllers.
        extends: true,
        test: {
          name: "ble",
          include: ["test/**/*.ble.test.ts"],
          globalSetup: ["test/ble-global-setup.ts"],
          fileParallelism: false,
        },
      },
    ],
  },
});

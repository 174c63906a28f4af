/**
 * The tests StrykerJS runs against each mutant (`npm run test:mutation`, stryker.config.json): the unit
 * tests of the protocol and the bridge, in-process only. The e2e files (processes, Mosquitto, the BLE lab)
 * stay out, and so do the few in-process files that run a whole bridge or a real broker for seconds
 * (each mutant they cover would cost that much again): a mutant must be killed by a test that pins the
 * rule next to the code. The codec fuzzing stays out too (25,000 random inputs per run; `npm run bench`
 * fuzzes a million).
 */
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // the protocol's mutants are for the protocol's own tests; the bridge core's for the bridge's
    include:
      process.env.MUTATION_SCOPE === "bridge"
        ? ["test/bridge/**/*.test.ts", "test/util/**/*.test.ts"]
        : ["test/protocol/**/*.test.ts"],
    exclude: [
      ...configDefaults.exclude,
      "test/**/*.e2e.test.ts",
      "test/**/*.ble.test.ts",
      "test/protocol/fuzz.test.ts",
      "test/bridge/bridge.test.ts",
      "test/bridge/tcp-bridge.test.ts",
      "test/bridge/mqtt/connection.test.ts",
      "test/bridge/publish/accu-solar-contract.test.ts",
      "test/bridge/features/control/control-feature.test.ts",
    ],
  },
});

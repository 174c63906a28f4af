/**
 * Global setup of the `ble` vitest project: checks once that the virtual BLE lab can run here (btvirt,
 * socat, cc; compiles the AF_ALG shim) and tells the test files through `inject("vble")`. Each BLE file
 * then starts its own lab for just as long as it runs (test/support/vble.ts `useLab`), so this host's
 * one lab slot is held for seconds, not for a whole test run, while other engineers' runs wait for it.
 *
 * Without the tools the BLE suites skip and say why; under CI=true that is a failure instead.
 */
import type { TestProject } from "vitest/node";
import { buildShim, labUnavailableReason } from "../scripts/vble/lab.js";
import type { VbleContext } from "./support/vble.js";

declare module "vitest" {
  export interface ProvidedContext {
    vble: VbleContext;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const missing = await labUnavailableReason();
  const reason =
    missing ??
    (await buildShim().then(
      () => undefined,
      (error: Error) => error.message,
    ));
  if (reason === undefined) {
    project.provide("vble", { ok: true });
    return;
  }
  const why = `virtual BLE lab unavailable: ${reason}`;
  if (process.env.CI === "true") throw new Error(`BLE suites cannot run under CI=true: ${why}`);
  process.stderr.write(`\n[ble] SKIPPING the BLE suites: ${why}\n\n`);
  project.provide("vble", { ok: false, reason: why });
}

/**
 * Global setup of the `ble` vitest project: starts ONE virtual BLE lab (scripts/vble) for every
 * `*.ble.test.ts` file and hands its ptys to the tests through `inject("vble")`.
 * Without btvirt/socat/cc (or while another lab holds this host too long) the BLE suites skip and say
 * why; under CI=true that is a failure instead, so CI cannot go green without running them.
 */
import type { TestProject } from "vitest/node";
import { labUnavailableReason, startLab } from "../scripts/vble/lab.js";
import { LAB_ENDPOINTS, type VbleContext } from "./support/vble.js";

declare module "vitest" {
  export interface ProvidedContext {
    vble: VbleContext;
  }
}

function unavailable(project: TestProject, reason: string): undefined {
  if (process.env.CI === "true") throw new Error(`BLE suites cannot run under CI=true: ${reason}`);
  process.stderr.write(`\n[ble] SKIPPING the BLE suites: ${reason}\n\n`);
  project.provide("vble", { ok: false, reason });
  return undefined;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const missing = await labUnavailableReason();
  if (missing) return unavailable(project, `virtual BLE lab unavailable: ${missing}`);
  try {
    const lab = await startLab({
      endpoints: LAB_ENDPOINTS,
      purpose: "vitest ble suites",
      lockWaitMs: 50_000,
      onWait: (holder) => process.stderr.write(`[ble] waiting for the virtual BLE lab held by ${holder}\n`),
    });
    project.provide("vble", { ok: true, ptys: [...lab.ptys] });
    return () => lab.stop();
  } catch (error) {
    return unavailable(project, error instanceof Error ? error.message : String(error));
  }
}

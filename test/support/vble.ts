/**
 * How BLE test files get a virtual BLE lab (scripts/vble). `useLab(n)` starts a lab with n controllers
 * before the file's tests and stops it after them; by convention endpoint 0 is the central (noble) and
 * the others are emulated batteries (bleno). A file must stop every noble/bleno instance it made.
 * `useFaultLab(n)` gives the whole Lab, for files that unplug, freeze or slow down an endpoint.
 */
import { afterAll, beforeAll, inject } from "vitest";
import { type Lab, startLab } from "../../scripts/vble/lab.js";

export type VbleContext = { ok: true } | { ok: false; reason: string };

/** True when BLE suites must skip; the reason was printed by test/ble-global-setup.ts. */
export function labMissing(): boolean {
  return !inject("vble").ok;
}

/** Starts a lab for this file; the returned function gives it once beforeAll has run. */
export function useFaultLab(endpoints: number, purpose = "a vitest BLE file"): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    if (labMissing()) return;
    lab = await startLab({
      endpoints,
      purpose,
      // another run may hold the host's one lab for a few seconds; the hook timeout is 60 s
      lockWaitMs: 45_000,
      onWait: (holder) => process.stderr.write(`[ble] waiting for the virtual BLE lab held by ${holder}\n`),
    });
  });
  afterAll(async () => {
    await lab?.stop();
  });
  return () => {
    if (!lab) throw new Error("the virtual BLE lab is not running (useLab's beforeAll has not run)");
    return lab;
  };
}

/** Starts a lab for this file; the returned function gives its ptys once beforeAll has run. */
export function useLab(endpoints: number, purpose = "a vitest BLE file"): () => string[] {
  const lab = useFaultLab(endpoints, purpose);
  return () => [...lab().ptys];
}

/** Polls `check` until it holds; throws `what` after `timeoutMs` (generous: the machine may be loaded). */
export async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

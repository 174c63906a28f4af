/**
 * How BLE test files reach the lab started by test/ble-global-setup.ts. Endpoint 0 is the central
 * (noble); endpoints 1..9 are for emulated batteries (bleno). Files run one after another, so each
 * may use any endpoint, but must stop every noble/bleno instance it made before it ends.
 */
import { inject } from "vitest";

export const LAB_ENDPOINTS = 10;

export type VbleContext = { ok: true; ptys: string[] } | { ok: false; reason: string };

export function labContext(): VbleContext {
  return inject("vble");
}

/** The lab's ptys, or an empty list when the lab is unavailable (the suite is then skipped). */
export function labPtys(): string[] {
  const context = labContext();
  return context.ok ? context.ptys : [];
}

/** True when BLE suites must skip; the reason was printed by the global setup. */
export function labMissing(): boolean {
  return !labContext().ok;
}

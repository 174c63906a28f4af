/**
 * Doubling delays: `firstMs`, 2×, 4×, … never more than `maxMs`. `attempt` counts from 1 (0 gives `firstMs`).
 */
export function doublingDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}

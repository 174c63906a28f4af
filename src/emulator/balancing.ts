/**
 * Passive balancing like a JBD BMS: when allowed (enabled, charging if so configured, highest cell at or
 * above the start voltage), every cell more than the window above the lowest one bleeds through its
 * resistor. Returns the 0x03 balance bits (bit i = cell i+1) and lowers the bleeding cells' charge.
 */
export interface BalanceSettings {
  startMv: number;
  windowMv: number;
  enabled: boolean;
  whileChargingOnly: boolean;
  /** Bleed current of one balancing resistor, A. */
  bleedA: number;
}

export function balanceStep(
  cells: Array<{ socPct: number; capacityAh: number }>,
  cellsMv: readonly number[],
  currentA: number,
  dt: number,
  settings: BalanceSettings,
): number {
  const maxMv = Math.max(...cellsMv);
  const minMv = Math.min(...cellsMv);
  const allowed =
    settings.enabled && (!settings.whileChargingOnly || currentA > 0) && maxMv >= settings.startMv;
  if (!allowed) return 0;
  let mask = 0;
  cellsMv.forEach((mv, i) => {
    const cell = cells[i];
    if (!cell || mv - minMv <= settings.windowMv) return;
    mask |= 1 << i;
    cell.socPct -= ((settings.bleedA * dt) / 3600 / cell.capacityAh) * 100;
  });
  return mask;
}

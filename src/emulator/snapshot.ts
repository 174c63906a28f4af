/** The state of an emulated battery at one instant: what the responder, the status line and the console show. */
export interface BatterySnapshot {
  timeS: number;
  voltageV: number;
  /** A, positive = charging (as on the wire). */
  currentA: number;
  remainingAh: number;
  nominalAh: number;
  socPct: number;
  cycles: number;
  cellsMv: number[];
  spreadMv: number;
  temperaturesC: number[];
  protectionRaw: number;
  balanceRaw: number;
  /** bit0 charge FET on, bit1 discharge FET on (docs/protocol.md §3). */
  fetRaw: number;
  errorCounters: number[];
  /** What the load or charger asks for, A, before the FETs gate it. */
  demandA: number;
  /** Per-cell offset added to the measured voltage, mV (console control `cell_offset_mv`). */
  cellOffsetsMv: number[];
  /** Register 0xE1's mask: bit0 charge FET forced off, bit1 discharge FET forced off. */
  forcedOffMask: number;
}

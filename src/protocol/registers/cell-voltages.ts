/** Register 0x04: cell voltages, U16 big-endian mV each, cell 1 first (docs: jbd-protocol §4). */

export interface CellVoltages {
  /** A 0 mV cell is valid data (an unconnected cell), not an error. */
  cellsMv: number[];
}

/** Register 0x04: cell voltages, U16 big-endian mV each, cell 1 first (docs/protocol.md §4). */
import { BmsError } from "../../errors.js";
import { putU16, u16 } from "../bytes.js";
import type { Decoded } from "../types.js";
import { toWire, U16_MAX } from "../wire-value.js";

export interface CellVoltages {
  /** A 0 mV cell is valid data (an unconnected cell), not an error. */
  cellsMv: number[];
}

export function decodeCellVoltages(data: Uint8Array): Decoded<CellVoltages> {
  if (data.length % 2 !== 0) {
    return {
      ok: false,
      error: new BmsError("DECODE_INVALID", `0x04 data is ${data.length} bytes; cells are 2 bytes each`, {
        register: 0x04,
        length: data.length,
      }),
    };
  }
  const cellsMv: number[] = [];
  for (let offset = 0; offset < data.length; offset += 2) cellsMv.push(u16(data, offset));
  return { ok: true, value: { cellsMv } };
}

/** At most 127 cells fit in the 255-byte data field; more is a programming error. */
export function encodeCellVoltages(value: CellVoltages): Uint8Array {
  if (value.cellsMv.length > 127) {
    throw new BmsError("ENCODE_INVALID", `${value.cellsMv.length} cells; at most 127 fit in one frame`);
  }
  const out = new Uint8Array(value.cellsMv.length * 2);
  value.cellsMv.forEach((mv, i) => {
    putU16(out, 2 * i, toWire("cellsMv", mv, 1, 0, U16_MAX));
  });
  return out;
}

/**
 * A battery read by another bridge, as its retained `<prefix>/battery/<id>/status` JSON says
 * (status-json.ts wrote it): the same BatteryValues a local reading gives, so the one bank computation
 * (state/bank.ts) counts local and remote batteries alike. PURE.
 *
 * The numbers are the status's rounded ones (V 2 decimals, cells mV); cell statistics and health are
 * derived again from the cells with the same rule (battery-values.ts), so they match the battery's own.
 */
import { type BatteryValues, cellFacts } from "../state/battery-values.js";

export interface RemoteStatus {
  /** The bridge that read it (`bridge` key; absent from bridges before sites existed). */
  bridgeId: string | undefined;
  address: string | undefined;
  values: BatteryValues;
}

const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

/** Undefined when the payload is not a complete battery status (then the battery does not count). */
export function parseRemoteStatus(payload: Buffer): RemoteStatus | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(payload.toString()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const voltageV = num(json.voltage);
  const currentA = num(json.current);
  const socPct = num(json.soc);
  const powerW = num(json.power);
  const cycles = num(json.cycles);
  const remainingAh = num(json.capacity_remain);
  const nominalAh = num(json.capacity_full);
  const cells = Array.isArray(json.cells) ? json.cells.map(num) : undefined;
  if (
    voltageV === undefined ||
    currentA === undefined ||
    socPct === undefined ||
    powerW === undefined ||
    cycles === undefined ||
    remainingAh === undefined ||
    nominalAh === undefined ||
    cells === undefined ||
    cells.some((v) => v === undefined)
  )
    return undefined;
  const fullCharge = num(json.full_charge_capacity);
  const cellsMv = (cells as number[]).map((v) => Math.round(v * 1000));
  return {
    bridgeId: typeof json.bridge === "string" ? json.bridge : undefined,
    address: typeof json.address === "string" ? json.address : undefined,
    values: {
      voltageV,
      currentA,
      socPct,
      powerW,
      temperatureC: num(json.temp),
      cycles,
      remainingAh,
      nominalAh,
      fullChargeAh: fullCharge !== undefined && fullCharge > 0 ? fullCharge : nominalAh,
      cellsMv,
      ...cellFacts(cellsMv),
    },
  };
}

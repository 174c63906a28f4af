/** A reading's values as every feature reads them (src/bridge/state/battery-values.ts). */
import { describe, expect, it } from "vitest";
import { valuesFromReading } from "../../../src/bridge/state/battery-values.js";
import { makeReading } from "../../support/readings.js";

const T = Date.UTC(2026, 1, 22, 13, 5, 57);

describe("a battery's values", () => {
  it("takes the full-charge capacity of the 0x03 extension when above 0, else the nominal capacity", () => {
    const full = (fullChargeAh?: number) =>
      valuesFromReading(
        makeReading({ time: T, nominalAh: 280, ...(fullChargeAh !== undefined && { fullChargeAh }) }),
      ).fullChargeAh;
    expect(full(270)).toBe(270);
    expect(full()).toBe(280);
    expect(full(0)).toBe(280);
  });

  it("keeps the nominal capacity apart from what the battery holds today", () => {
    const values = valuesFromReading(makeReading({ time: T, nominalAh: 280, fullChargeAh: 265 }));
    expect(values).toMatchObject({ nominalAh: 280, fullChargeAh: 265 });
  });
});

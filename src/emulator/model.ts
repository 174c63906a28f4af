/**
 * The battery model: pure, deterministic, time advanced only by `advance(seconds)`.
 * Physics: coulomb counting per cell and for the pack (the BMS's own counter), cell voltage = LiFePO4 OCV
 * at the cell's state of charge + I·R, pack voltage = sum of cells, first-order temperature (I²R heating,
 * cooling to ambient), cycle counting from discharged Ah, protection with hysteresis, balancing bleed.
 */
import { balanceStep } from "./balancing.js";
import { type Eeprom, eepromFromProfile } from "./eeprom.js";
import { ocvVolts } from "./ocv.js";
import { balanceFromParameters, PARAMETER_REGISTER, protectionFromParameters } from "./parameters.js";
import { type BatteryProfile, type CellProfile, cellProfile, type ProtectionProfile } from "./profile.js";
import { measurements, ProtectionMonitor, SOFTWARE_LOCK_BIT } from "./protection.js";
import type { BatterySnapshot } from "./snapshot.js";

/** Longest simulation sub-step; protection delays are resolved to this granularity. */
const MAX_STEP_S = 1;
/** With no current flowing nothing changes fast, so long idle stretches (days of drift) step coarser. */
const IDLE_STEP_S = 10;
/**
 * One advance() spanning more than an hour (bms-emu at --speed ≥ 3600) steps 5 s at a time so a catch-up
 * stays well under a second of CPU; protection delays then resolve to 5 s.
 */
const FAST_STEP_S = 5;
const FAST_AFTER_S = 3600;

interface CellState extends CellProfile {
  /** State of charge, percent (may slightly exceed 0–100 transiently; the OCV curve clamps). */
  socPct: number;
}

export type { BatterySnapshot };

/** Settings decoded from the EEPROM image once per advance(). */
interface StepSettings {
  protection: ProtectionProfile;
  balance: ReturnType<typeof balanceFromParameters>;
}

/** What a cell event may change. */
export type CellPatch = Partial<CellProfile & { socPct: number }>;

export class BatteryModel {
  readonly profile: BatteryProfile;
  /** Parameters 0x10–0x3F and strings 0xA0–0xA2: working copy + what survives a power cycle. */
  readonly eeprom: Eeprom;
  #timeS = 0;
  #cells: CellState[];
  #remainingAh: number;
  #cycles: number;
  #dischargedAh = 0;
  #temperatureC: number;
  #ambientC: number;
  #demandA: number;
  #cvLimitV: number | undefined;
  #currentA = 0;
  #forcedOffMask = 0;
  #balanceMask = 0;
  #cellOffsetsMv: number[];
  #errorCounters: number[];
  readonly #protection = new ProtectionMonitor();

  constructor(profile: BatteryProfile) {
    this.profile = profile;
    this.eeprom = eepromFromProfile(profile);
    this.#cellOffsetsMv = Array.from({ length: profile.cellCount }, () => 0);
    const packSocPct = (profile.initial.remainingAh / profile.nominalAh) * 100;
    this.#cells = Array.from({ length: profile.cellCount }, (_, i) => {
      const cell = cellProfile(profile, i);
      return { ...cell, socPct: packSocPct + cell.socOffsetPct };
    });
    this.#remainingAh = profile.initial.remainingAh;
    this.#cycles = profile.initial.cycles;
    this.#temperatureC = profile.initial.temperatureC;
    this.#ambientC = profile.initial.ambientC;
    this.#demandA = profile.initial.currentA;
    this.#cvLimitV = undefined;
    this.#errorCounters = [...profile.errorCounters];
    while (this.#errorCounters.length < 11) this.#errorCounters.push(0);
    this.#currentA = this.#gatedCurrent();
  }

  get timeS(): number {
    return this.#timeS;
  }

  /** The working copy of the EEPROM parameters (register → raw word). */
  get params(): Map<number, number> {
    return this.eeprom.words;
  }

  /** A parameter as the BMS answers it; 0x17 is the live cycle counter. Undefined: no such register. */
  readParameter(register: number): number | undefined {
    if (register === PARAMETER_REGISTER.cycleCount) return this.#cycles & 0xffff;
    return this.eeprom.words.get(register);
  }

  /** A factory-mode write: applies at once (see Eeprom). False for a register this BMS does not have. */
  writeParameter(register: number, raw: number): boolean {
    if (!this.eeprom.setWord(register, raw)) return false;
    if (register === PARAMETER_REGISTER.cycleCount) this.#cycles = raw & 0xffff;
    return true;
  }

  /**
   * Sets the state of charge: the BMS's counter, and every cell shifted by the same amount so their
   * differences (a weak or drifted cell) are kept.
   */
  setSoc(socPct: number): void {
    const shift = socPct - (this.#remainingAh / this.profile.nominalAh) * 100;
    this.#remainingAh = (socPct / 100) * this.profile.nominalAh;
    for (const cell of this.#cells) cell.socPct += shift;
    this.#currentA = this.#gatedCurrent();
  }

  /** A measurement offset on one cell (0-based), mV: what the BMS reads and protects on, not the charge. */
  setCellOffset(index: number, mv: number): void {
    if (index >= 0 && index < this.#cellOffsetsMv.length) this.#cellOffsetsMv[index] = mv;
  }

  /** The load or charger: `currentA` (positive = charging); a charger may hold the pack at `cvLimitV`. */
  setDemand(currentA: number, cvLimitV?: number): void {
    this.#demandA = currentA;
    this.#cvLimitV = cvLimitV;
    this.#currentA = this.#gatedCurrent();
  }

  setAmbient(celsius: number): void {
    this.#ambientC = celsius;
  }

  setTemperature(celsius: number): void {
    this.#temperatureC = celsius;
  }

  /** Changes one cell (0-based index): capacity, resistance, self-discharge or state of charge. */
  setCell(index: number, patch: CellPatch): void {
    const cell = this.#cells[index];
    if (!cell) return;
    Object.assign(cell, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
  }

  /** Register 0xE1 (docs/protocol.md §7): bit0 forces the charge FET off, bit1 the discharge FET. */
  setForcedOff(mask: number): void {
    this.#forcedOffMask = mask & 0b11;
    this.#currentA = this.#gatedCurrent();
  }

  /**
   * A BMS reboot: protections, FET locks and balancing restart and the settings are reloaded from the
   * EEPROM (unsaved parameter writes are lost); the cells and counters persist.
   */
  reboot(): void {
    this.eeprom.reload();
    this.#protection.reset();
    this.#forcedOffMask = 0;
    this.#balanceMask = 0;
    this.#currentA = this.#gatedCurrent();
  }

  /** "Exit factory mode and save" (0x01 `28 28`) clears the 0xAA counters (JBD_REGISTER_MAP). */
  clearErrorCounters(): void {
    this.#errorCounters.fill(0);
  }

  advance(seconds: number): void {
    // The EEPROM image cannot change inside one advance(), so its settings are decoded once here.
    const settings: StepSettings = {
      protection: protectionFromParameters(this.params, this.profile.protection),
      balance: balanceFromParameters(this.params),
    };
    const busyStep = seconds > FAST_AFTER_S ? FAST_STEP_S : MAX_STEP_S;
    let left = seconds;
    while (left > 1e-9) {
      const dt = Math.min(this.#currentA === 0 && this.#demandA === 0 ? IDLE_STEP_S : busyStep, left);
      this.#step(dt, settings);
      left -= dt;
    }
  }

  #chargeFetOn(): boolean {
    return (this.#forcedOffMask & 0b01) === 0 && !this.#protection.blocks("charge");
  }

  #dischargeFetOn(): boolean {
    return (this.#forcedOffMask & 0b10) === 0 && !this.#protection.blocks("discharge");
  }

  #packResistanceOhm(): number {
    return this.#cells.reduce((sum, c) => sum + c.resistanceMohm, 0) / 1000;
  }

  /** Demand limited by the charger's constant-voltage phase and by the FETs. */
  #gatedCurrent(): number {
    let current = this.#demandA;
    if (current > 0 && this.#cvLimitV !== undefined) {
      const ocvSum = this.#cells.reduce((sum, c) => sum + ocvVolts(c.socPct), 0);
      current = Math.min(current, Math.max(0, (this.#cvLimitV - ocvSum) / this.#packResistanceOhm()));
    }
    if (current > 0 && !this.#chargeFetOn()) return 0;
    if (current < 0 && !this.#dischargeFetOn()) return 0;
    return current;
  }

  #step(dt: number, settings: StepSettings): void {
    this.#timeS += dt;
    const current = this.#gatedCurrent();
    this.#currentA = current;
    this.#integrateCharge(current, dt);
    this.#integrateHeat(current, dt);
    const cellsMv = this.#cellsMv();
    this.#updateBalancing(cellsMv, current, dt, settings.balance);
    this.#updateProtection(cellsMv, current, settings.protection);
    this.#currentA = this.#gatedCurrent();
  }

  #integrateCharge(current: number, dt: number): void {
    const hours = dt / 3600;
    for (const cell of this.#cells) {
      const selfDischargePct = (cell.selfDischargePctPerDay * dt) / 86_400;
      cell.socPct += ((current * hours) / cell.capacityAh) * 100 - selfDischargePct;
    }
    this.#remainingAh = Math.min(this.profile.nominalAh, Math.max(0, this.#remainingAh + current * hours));
    if (current < 0) {
      this.#dischargedAh += -current * hours;
      while (this.#dischargedAh >= this.profile.cycleCapacityAh) {
        this.#dischargedAh -= this.profile.cycleCapacityAh;
        this.#cycles += 1;
      }
    }
  }

  #integrateHeat(current: number, dt: number): void {
    const heatW = current * current * this.#packResistanceOhm();
    const lossW = (this.#temperatureC - this.#ambientC) / this.profile.thermal.thermalResistanceKPerW;
    this.#temperatureC += ((heatW - lossW) * dt) / this.profile.thermal.heatCapacityJPerK;
  }

  #updateBalancing(cellsMv: number[], current: number, dt: number, settings: StepSettings["balance"]): void {
    this.#balanceMask = balanceStep(this.#cells, cellsMv, current, dt, {
      ...settings,
      bleedA: this.profile.balance.currentA,
    });
  }

  #updateProtection(cellsMv: number[], current: number, settings: ProtectionProfile): void {
    const m = measurements(cellsMv, this.#temperaturesC(), { currentA: current, demandA: this.#demandA });
    for (const counter of this.#protection.update(m, settings, this.#timeS)) {
      this.#errorCounters[counter] = ((this.#errorCounters[counter] ?? 0) + 1) & 0xffff;
      this.#calibrateCounter(counter);
    }
  }

  /** A real BMS re-learns its coulomb counter at the ends: full at cell OV, empty at cell UV. */
  #calibrateCounter(counter: number): void {
    if (counter === 3) this.#remainingAh = this.profile.nominalAh;
    if (counter === 4) this.#remainingAh = 0;
  }

  /** OCV + I·R, plus the console's measurement offset. */
  #cellsMv(): number[] {
    return this.#cells.map((c, i) => {
      const mv = Math.round((ocvVolts(c.socPct) + (this.#currentA * c.resistanceMohm) / 1000) * 1000);
      return Math.max(0, mv + (this.#cellOffsetsMv[i] ?? 0));
    });
  }

  #temperaturesC(): number[] {
    return this.profile.ntcOffsetsC.map((offset) => Math.round((this.#temperatureC + offset) * 10) / 10);
  }

  snapshot(): BatterySnapshot {
    const cellsMv = this.#cellsMv();
    const packMv = cellsMv.reduce((a, b) => a + b, 0);
    const lock = this.#forcedOffMask === 0 ? 0 : 1 << SOFTWARE_LOCK_BIT;
    return {
      timeS: this.#timeS,
      voltageV: Math.round(packMv / 10) / 100,
      currentA: Math.round(this.#currentA * 100) / 100,
      remainingAh: Math.round(this.#remainingAh * 100) / 100,
      nominalAh: this.profile.nominalAh,
      socPct: Math.round((this.#remainingAh / this.profile.nominalAh) * 100),
      cycles: this.#cycles,
      cellsMv,
      spreadMv: Math.max(...cellsMv) - Math.min(...cellsMv),
      temperaturesC: this.#temperaturesC(),
      protectionRaw: this.#protection.bits | lock,
      balanceRaw: this.#balanceMask,
      fetRaw: (this.#chargeFetOn() ? 0b01 : 0) | (this.#dischargeFetOn() ? 0b10 : 0),
      errorCounters: [...this.#errorCounters],
      demandA: this.#demandA,
      cellOffsetsMv: [...this.#cellOffsetsMv],
      forcedOffMask: this.#forcedOffMask,
    };
  }
}

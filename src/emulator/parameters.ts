/**
 * The BMS's EEPROM parameters (registers 0x10–0x3F, 2 bytes each, docs/protocol.md §6 and JBD_REGISTER_MAP).
 * The emulator keeps them as raw 16-bit words, like the real EEPROM: the protection logic reads its
 * thresholds back from these words, so a parameter written in factory mode changes the behaviour.
 */
import { ocvVolts } from "./ocv.js";
import { type BatteryProfile, type ProtectionProfile, productionDateRaw } from "./profile.js";

/** Raw word ⇄ SI unit for one parameter. */
interface Unit {
  toRaw(value: number): number;
  fromRaw(raw: number): number;
}

const u16 = (raw: number): number => raw & 0xffff;
const s16 = (raw: number): number => (raw & 0x8000 ? raw - 0x10000 : raw);

const UNITS = {
  mv: { toRaw: (v) => u16(Math.round(v)), fromRaw: (r) => r },
  tenMv: { toRaw: (v) => u16(Math.round(v * 100)), fromRaw: (r) => r / 100 },
  tenMah: { toRaw: (v) => u16(Math.round(v * 100)), fromRaw: (r) => r / 100 },
  // docs/protocol.md §3: temperatures are 0.1 K with offset 2731
  deciKelvin: { toRaw: (v) => u16(Math.round(v * 10 + 2731)), fromRaw: (r) => (r - 2731) / 10 },
  // S16, 10 mA; discharge over-current is stored negative (docs/protocol.md §6: 0x29 DSGOC = 0xA628 = −230 A)
  tenMaSigned: { toRaw: (v) => u16(Math.round(v * 100)), fromRaw: (r) => s16(r) / 100 },
  count: { toRaw: (v) => u16(Math.round(v)), fromRaw: (r) => r },
} satisfies Record<string, Unit>;

type ProtectionKey = keyof ProtectionProfile;

/** Parameters that map one-to-one onto a protection setting. */
const PROTECTION_PARAMETERS: ReadonlyArray<{ register: number; key: ProtectionKey; unit: Unit; sign?: -1 }> =
  [
    { register: 0x18, key: "chargeOvertempC", unit: UNITS.deciKelvin },
    { register: 0x19, key: "chargeOvertempReleaseC", unit: UNITS.deciKelvin },
    { register: 0x1a, key: "chargeUndertempC", unit: UNITS.deciKelvin },
    { register: 0x1b, key: "chargeUndertempReleaseC", unit: UNITS.deciKelvin },
    { register: 0x1c, key: "dischargeOvertempC", unit: UNITS.deciKelvin },
    { register: 0x1d, key: "dischargeOvertempReleaseC", unit: UNITS.deciKelvin },
    { register: 0x1e, key: "dischargeUndertempC", unit: UNITS.deciKelvin },
    { register: 0x1f, key: "dischargeUndertempReleaseC", unit: UNITS.deciKelvin },
    { register: 0x20, key: "packOvervoltageV", unit: UNITS.tenMv },
    { register: 0x21, key: "packOvervoltageReleaseV", unit: UNITS.tenMv },
    { register: 0x22, key: "packUndervoltageV", unit: UNITS.tenMv },
    { register: 0x23, key: "packUndervoltageReleaseV", unit: UNITS.tenMv },
    { register: 0x24, key: "cellOvervoltageMv", unit: UNITS.mv },
    { register: 0x25, key: "cellOvervoltageReleaseMv", unit: UNITS.mv },
    { register: 0x26, key: "cellUndervoltageMv", unit: UNITS.mv },
    { register: 0x27, key: "cellUndervoltageReleaseMv", unit: UNITS.mv },
    { register: 0x28, key: "chargeOvercurrentA", unit: UNITS.tenMaSigned },
    { register: 0x29, key: "dischargeOvercurrentA", unit: UNITS.tenMaSigned, sign: -1 },
  ];

/** Named registers the emulator also serves (identity, estimation, hardware, delays): JBD's standard map. */
export const PARAMETER_REGISTER = {
  designCapacity: 0x10,
  cycleCapacity: 0x11,
  /** Cell voltage taken as 100 % and as 0 % by the SoC estimate (mV). */
  fullChargeVoltage: 0x12,
  chargeEndVoltage: 0x13,
  /** Estimated self-discharge rate, 0.1 %. */
  dischargeRate: 0x14,
  productionDate: 0x15,
  serialNumber: 0x16,
  cycleCount: 0x17,
  balanceStart: 0x2a,
  balanceWindow: 0x2b,
  /** Current-sense shunt, 0.1 mΩ. */
  senseResistor: 0x2c,
  functionConfig: 0x2d,
  ntcConfig: 0x2e,
  cellCount: 0x2f,
  fetControlTime: 0x30,
  ledDisplayTime: 0x31,
  /** Cell voltages (mV) the SoC estimate takes as 80, 60, 40 and 20 %. */
  voltageCap80: 0x32,
  voltageCap60: 0x33,
  voltageCap40: 0x34,
  voltageCap20: 0x35,
  /** The analog front end's own (hard) cell limits, mV. */
  hardCellOvervoltage: 0x36,
  hardCellUndervoltage: 0x37,
  /** Short-circuit and second-level over-current thresholds and delays (bit fields). */
  shortCircuitSettings: 0x38,
  /** Hard cell-limit delays (byte 0 bit fields) and short-circuit release, s (byte 1). */
  hardLimitDelays: 0x39,
  chargeTemperatureDelays: 0x3a,
  dischargeTemperatureDelays: 0x3b,
  packVoltageDelays: 0x3c,
  cellVoltageDelays: 0x3d,
  chargeOvercurrentDelays: 0x3e,
  dischargeOvercurrentDelays: 0x3f,
} as const;

/** Every standard EEPROM parameter register 0x10–0x3F is answered; others get status 0x80. */
export const PARAMETER_RANGE = { first: 0x10, last: 0x3f } as const;

const delayPair = (first: number, second: number): number => ((first & 0xff) << 8) | (second & 0xff);

/** The SoC-estimate voltages come from the emulator's own LiFePO4 curve, so they agree with the cells. */
const ocvMv = (socPct: number): number => Math.round(ocvVolts(socPct) * 1000);

/** The EEPROM image of a profile: register → raw 16-bit word. */
export function parametersFromProfile(profile: BatteryProfile): Map<number, number> {
  const params = new Map<number, number>();
  const p = profile.protection;
  for (const def of PROTECTION_PARAMETERS)
    params.set(def.register, def.unit.toRaw(p[def.key] * (def.sign ?? 1)));
  const reg = PARAMETER_REGISTER;
  params.set(reg.designCapacity, UNITS.tenMah.toRaw(profile.nominalAh));
  params.set(reg.cycleCapacity, UNITS.tenMah.toRaw(profile.cycleCapacityAh));
  params.set(reg.fullChargeVoltage, 3500);
  params.set(reg.chargeEndVoltage, 2900);
  params.set(reg.dischargeRate, 20); // 2.0 % a month, a usual LiFePO4 setting
  params.set(reg.productionDate, productionDateRaw(profile.productionDate));
  params.set(reg.serialNumber, 0);
  params.set(reg.cycleCount, UNITS.count.toRaw(profile.initial.cycles));
  params.set(reg.balanceStart, UNITS.mv.toRaw(profile.balance.startMv));
  params.set(reg.balanceWindow, UNITS.mv.toRaw(profile.balance.windowMv));
  params.set(reg.senseResistor, 3); // 0.3 mΩ: a 200 A board's shunt
  // 0x2D bit 2 = balance enable, bit 3 = balance only while charging (JBD_REGISTER_MAP)
  params.set(reg.functionConfig, 0b100 | (profile.balance.whileChargingOnly ? 0b1000 : 0));
  params.set(reg.ntcConfig, (1 << profile.ntcOffsetsC.length) - 1);
  params.set(reg.cellCount, profile.cellCount);
  params.set(reg.fetControlTime, 10);
  params.set(reg.ledDisplayTime, 5);
  params.set(reg.voltageCap80, ocvMv(80));
  params.set(reg.voltageCap60, ocvMv(60));
  params.set(reg.voltageCap40, ocvMv(40));
  params.set(reg.voltageCap20, ocvMv(20));
  params.set(reg.hardCellOvervoltage, 3800);
  params.set(reg.hardCellUndervoltage, 2000);
  // byte 0: ×2, 200 µs, 100 mV; byte 1: 80 ms, 50 mV (bit-field codes of the JBD map)
  params.set(reg.shortCircuitSettings, 0x973f);
  // byte 0: hard under-voltage 4 s, hard over-voltage 2 s; byte 1: short-circuit release in s
  params.set(reg.hardLimitDelays, delayPair(0b0101_0000, p.shortCircuitReleaseS));
  params.set(reg.chargeTemperatureDelays, delayPair(p.releaseDelayS, p.releaseDelayS));
  params.set(reg.dischargeTemperatureDelays, delayPair(p.releaseDelayS, p.releaseDelayS));
  params.set(reg.packVoltageDelays, delayPair(p.releaseDelayS, p.releaseDelayS));
  params.set(reg.cellVoltageDelays, delayPair(p.releaseDelayS, p.releaseDelayS));
  params.set(reg.chargeOvercurrentDelays, delayPair(p.overcurrentDelayS, p.overcurrentReleaseS));
  params.set(reg.dischargeOvercurrentDelays, delayPair(p.overcurrentDelayS, p.overcurrentReleaseS));
  return params;
}

/** The protection settings currently stored in the EEPROM image (unknown registers keep the profile value). */
export function protectionFromParameters(
  params: ReadonlyMap<number, number>,
  fallback: ProtectionProfile,
): ProtectionProfile {
  const settings: ProtectionProfile = { ...fallback };
  for (const def of PROTECTION_PARAMETERS) {
    const raw = params.get(def.register);
    if (raw !== undefined) settings[def.key] = def.unit.fromRaw(raw) * (def.sign ?? 1);
  }
  return settings;
}

/** Balance start and window (mV) as stored; whether balancing is enabled at all. */
export function balanceFromParameters(params: ReadonlyMap<number, number>): {
  startMv: number;
  windowMv: number;
  enabled: boolean;
  whileChargingOnly: boolean;
} {
  const config = params.get(PARAMETER_REGISTER.functionConfig) ?? 0;
  return {
    startMv: params.get(PARAMETER_REGISTER.balanceStart) ?? 3400,
    windowMv: params.get(PARAMETER_REGISTER.balanceWindow) ?? 30,
    enabled: (config & 0b100) !== 0,
    whileChargingOnly: (config & 0b1000) !== 0,
  };
}
